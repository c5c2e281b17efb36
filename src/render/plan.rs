//! What one template asks for, read before anything is resolved: its masks, the masks inside a
//! Kubernetes Secret's base64 `data`, and what can never render (near misses of the grammar,
//! masks in an encoded form nothing decodes). Rendering a plan resolves nothing itself: the
//! caller resolves [`Plan::masks`] for every template at once (ARCHITECTURE.md §One mask).

use base64::Engine;

use super::format::Placement;
use super::{
    Escape, Failure, Format, MaskFailure, RenderError, Sink, render, render_in_place, render_to,
};
use crate::encoded;
use crate::kubernetes::{self, DataValue};
use crate::mask::Mask;
use crate::resolve::{ResolveError, Value};
use crate::source::Span;
use crate::syntax::Syntaxes;

/// One template's masks and problems.
#[derive(Debug)]
pub struct Plan {
    /// The format the template is rendered as: the one asked for, or the one its content shows.
    pub format: Format,
    /// The masks written in the template, in order.
    pub masks: Vec<Mask>,
    /// Secret `data` values holding masks, each with its masks: its own (spans into its decoded
    /// text), then each nested base64 text's (spans into that text's decoding).
    pub data: Vec<(DataValue, Vec<Mask>)>,
    /// What can never render, in order.
    pub problems: Vec<Failure>,
}

impl Plan {
    /// Reads `template`; `format` `None` tells it by the content ([`Format::sniff`]).
    pub fn new(template: &[u8], format: Option<Format>) -> Self {
        Self::read(template, format, &Syntaxes::default())
    }

    /// [`Plan::new`], reading the references of `syntaxes` (argocd-vault-plugin's, vals') as
    /// masks too.
    pub fn read(template: &[u8], format: Option<Format>, syntaxes: &Syntaxes) -> Self {
        let mut problems = Vec::new();
        // The encoded forms are looked for beside the scan, which has a thread per core: on a
        // large template the two passes share the cores instead of taking turns.
        let (candidates, found) = if crate::source::pieces_for(template.len()) > 1 {
            std::thread::scope(|scope| {
                let encoded = scope.spawn(|| encoded::find(template));
                let candidates = syntaxes.scan_parallel(template);
                (candidates, encoded.join().expect("finding does not panic"))
            })
        } else {
            (syntaxes.scan(template), encoded::find(template))
        };
        // Collected into the candidates' own buffer (a mask is smaller than a candidate), then
        // shrunk: a large template's masks are never held twice.
        let mut masks: Vec<Mask> = candidates
            .into_iter()
            .filter_map(|candidate| match candidate {
                Ok(mask) => Some(mask),
                Err(error) => {
                    problems.push(Failure {
                        span: error.span,
                        locator: String::new(),
                        failure: MaskFailure::Malformed(*error),
                    });
                    None
                }
            })
            .collect();
        masks.shrink_to_fit();
        let format = format.unwrap_or_else(|| {
            let spans: Vec<Span> = masks.iter().map(|m| m.span).collect();
            match Format::sniff(template, &spans) {
                Format::Unknown if spans.is_empty() && !found.is_empty() => {
                    if super::format::yaml::is_collection(template) {
                        Format::Yaml
                    } else {
                        Format::Unknown
                    }
                }
                format => format,
            }
        });
        // A Kubernetes Secret comes as YAML or JSON (`kubectl get -o json`, a `.json` manifest).
        let (values, outside) = if matches!(format, Format::Yaml | Format::Json) {
            kubernetes::split(template, found, syntaxes)
        } else {
            (Vec::new(), found)
        };
        // A data value's masks are its own (an AVP placeholder with `| base64encode` is also
        // seen, refused, by the scan of the whole text).
        if !values.is_empty() {
            let inside = |span: Span| values.iter().any(|v| v.span.contains(span));
            masks.retain(|m| !inside(m.span));
            problems.retain(|p| !inside(p.span));
        }
        let mut data = Vec::new();
        for value in values {
            let mut inner = Vec::new();
            let nested = value.nested.iter().map(|n| &n.candidates);
            for candidate in std::iter::once(&value.candidates).chain(nested).flatten() {
                match candidate {
                    Ok(mask) => inner.push(mask.clone()),
                    Err(error) => problems.push(Failure {
                        span: value.span,
                        locator: String::new(),
                        failure: MaskFailure::InData(Box::new(MaskFailure::Malformed(
                            (**error).clone(),
                        ))),
                    }),
                }
            }
            problems.extend(value.hidden.iter().map(|hit| Failure {
                span: value.span,
                locator: String::new(),
                failure: MaskFailure::InData(Box::new(MaskFailure::Encoded(hit.encoding))),
            }));
            if !value.in_place {
                problems.push(Failure {
                    span: value.span,
                    locator: String::new(),
                    failure: MaskFailure::DataNotOnOneLine,
                });
            }
            data.push((value, inner));
        }
        problems.extend(outside.into_iter().map(|hit| Failure {
            span: hit.span,
            locator: String::new(),
            failure: MaskFailure::Encoded(hit.encoding),
        }));
        problems.sort_by_key(|p| p.span.start);
        Self {
            format,
            masks,
            data,
            problems,
        }
    }

    /// Every mask to resolve, in the order [`render_plan`] takes their values: the template's,
    /// then each `data` value's.
    pub fn masks(&self) -> impl Iterator<Item = &Mask> {
        self.masks
            .iter()
            .chain(self.data.iter().flat_map(|(_, masks)| masks))
    }

    /// How many masks [`Plan::masks`] yields.
    pub fn len(&self) -> usize {
        self.masks.len() + self.data.iter().map(|(_, m)| m.len()).sum::<usize>()
    }

    /// Whether the template holds no mask at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Plan {
    /// Where the template's own masks stand, found before their values are known so a caller
    /// can place while the stores answer; `None` when the plan has Secret `data` values, whose
    /// rendering changes the template before its masks can be placed.
    pub(crate) fn place(
        &self,
        template: &mut [u8],
        escape: Escape,
    ) -> Option<Result<Placement, RenderError>> {
        if !self.data.is_empty() {
            return None;
        }
        let spans: Vec<Span> = self.masks.iter().map(|m| m.span).collect();
        Some(self.format.escaped(escape).place(template, &spans))
    }
}

/// [`render_plan_to`] for a plan placed beforehand by [`Plan::place`] (so without `data`
/// values).
pub(crate) fn render_placed_to(
    template: &mut [u8],
    plan: &Plan,
    placement: Placement,
    values: &[Result<Value, ResolveError>],
    escape: Escape,
    sink: &mut Sink<'_>,
) -> Result<(), RenderError> {
    plan.format
        .escaped(escape)
        .fill(placement, template, &plan.masks, values, sink)
}

/// Renders a template by its plan (which must have no problems): `values` are those of
/// [`Plan::masks`], in order. Each `data` value is rendered as raw text and encoded again; the
/// template's own masks are escaped for `plan.format` and checked as by [`render`].
pub fn render_plan(
    template: &mut [u8],
    plan: &Plan,
    values: &[Result<Value, ResolveError>],
    escape: Escape,
) -> Result<Vec<u8>, RenderError> {
    let mut out = Vec::with_capacity(template.len());
    let mut sink = Sink::new(&mut out);
    render_plan_to(template, plan, values, escape, &mut sink)?;
    sink.finish().expect("a Vec takes every write");
    Ok(out)
}

/// One decoded `data` value rendered: each nested base64 text rendered and encoded again alike
/// in its place, then the value's own masks; `masks` and `values` are the value's own, then each
/// nested text's.
fn render_data(
    value: &DataValue,
    masks: &[Mask],
    values: &[Result<Value, ResolveError>],
) -> Result<Vec<u8>, RenderError> {
    let own = value.candidates.iter().filter(|c| c.is_ok()).count();
    let (own_masks, mut nested_masks) = masks.split_at(own);
    let (own_values, mut nested_values) = values.split_at(own);
    let mut failures = Vec::new();
    let mut replacements: Vec<(Span, String)> = Vec::new();
    for nested in &value.nested {
        let count = nested.candidates.iter().filter(|c| c.is_ok()).count();
        let (these_masks, more_masks) = nested_masks.split_at(count);
        let (these, more) = nested_values.split_at(count);
        (nested_masks, nested_values) = (more_masks, more);
        match render(
            nested.decoded.as_bytes(),
            these_masks,
            these,
            Format::Text,
            Escape::None,
        ) {
            Ok(bytes) => replacements.push((nested.span, nested.engine.encode(&bytes))),
            Err(RenderError::Masks(list)) => failures.extend(list),
            Err(RenderError::Syntax { .. }) => unreachable!("text has no syntax"),
        }
    }
    let shifts = Shifts::new(&replacements);
    let decoded = crate::source::splice(value.decoded.as_bytes(), &replacements);
    let own_masks: Vec<Mask> = own_masks
        .iter()
        .map(|mask| Mask {
            span: shifts.to_new(mask.span),
            ..mask.clone()
        })
        .collect();
    match render(&decoded, &own_masks, own_values, Format::Text, Escape::None) {
        Ok(bytes) if failures.is_empty() => Ok(bytes),
        Ok(_) => Err(RenderError::Masks(failures)),
        Err(RenderError::Masks(list)) => {
            failures.extend(list);
            Err(RenderError::Masks(failures))
        }
        Err(error) => Err(error),
    }
}

/// [`render_plan`], writing into `sink` as [`super::render_to`] does: a large output is never
/// held in memory when it need not be parsed again.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use secretmask::render::{Escape, Format, Plan, Sink, render_plan_to};
/// let resolver =
///     secretmask::Resolver::from_secrets_yaml("kv/app/db:\n  password: hunter2\n").unwrap();
/// let mut template = b"password: {{workato:vault:password:kv/app/db}}\n".to_vec();
/// let plan = Plan::new(&template, Some(Format::Yaml));
/// let masks: Vec<_> = plan.masks().collect();
/// let values = resolver.resolve(&masks).await;
/// let mut out = Vec::new();
/// let mut sink = Sink::new(&mut out);
/// render_plan_to(&mut template, &plan, &values, Escape::Auto, &mut sink).unwrap();
/// sink.finish().unwrap();
/// assert_eq!(out, b"password: hunter2\n");
/// # });
/// ```
pub fn render_plan_to(
    template: &mut [u8],
    plan: &Plan,
    values: &[Result<Value, ResolveError>],
    escape: Escape,
    sink: &mut Sink<'_>,
) -> Result<(), RenderError> {
    let (outer, mut rest) = values.split_at(plan.masks.len());
    if plan.data.is_empty() {
        return render_to(template, &plan.masks, outer, plan.format, escape, sink);
    }
    // Each data value's replacement, in order; failures are placed at the value.
    let mut failures = Vec::new();
    let mut replacements: Vec<(Span, String)> = Vec::new();
    for (value, masks) in &plan.data {
        let (these, others) = rest.split_at(masks.len());
        rest = others;
        match render_data(value, masks, these) {
            Ok(bytes) => {
                let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
                // A plain scalar a YAML reader would type (all digits, say) is quoted.
                let text =
                    if value.plain && super::format::yaml::schema::non_string(&encoded).is_some() {
                        format!("\"{encoded}\"")
                    } else {
                        encoded
                    };
                replacements.push((value.span, text));
            }
            Err(RenderError::Masks(list)) => failures.extend(list.into_iter().map(|f| Failure {
                span: value.span,
                locator: f.locator,
                failure: MaskFailure::InData(Box::new(f.failure)),
            })),
            Err(RenderError::Syntax { .. }) => unreachable!("text has no syntax"),
        }
    }
    if !failures.is_empty() {
        // Every failure is listed: the template's own masks are rendered too, as they stand.
        if let Err(RenderError::Masks(list)) =
            render_in_place(template, &plan.masks, outer, plan.format, escape)
        {
            failures.extend(list);
            failures.sort_by_key(|f| f.span.start);
        }
        return Err(RenderError::Masks(failures));
    }
    let shifts = Shifts::new(&replacements);
    let mut replaced = crate::source::splice(template, &replacements);
    let masks: Vec<Mask> = plan
        .masks
        .iter()
        .map(|mask| Mask {
            span: shifts.to_new(mask.span),
            ..mask.clone()
        })
        .collect();
    render_to(&mut replaced, &masks, outer, plan.format, escape, sink).map_err(
        |error| match error {
            RenderError::Masks(list) => RenderError::Masks(
                list.into_iter()
                    .map(|f| Failure {
                        span: shifts.to_old(f.span),
                        ..f
                    })
                    .collect(),
            ),
            RenderError::Syntax {
                offset,
                format,
                message,
            } => RenderError::Syntax {
                offset: shifts.to_old(Span::new(offset, offset)).start,
                format,
                message,
            },
        },
    )
}

/// Offsets before and after the `data` values were replaced.
struct Shifts {
    /// (old span, new span) of each replacement, in order.
    spans: Vec<(Span, Span)>,
}

impl Shifts {
    fn new(replacements: &[(Span, String)]) -> Self {
        // Where the replaced text stands: after the replacements before it.
        let (mut grown, mut shrunk) = (0usize, 0usize);
        let spans = replacements
            .iter()
            .map(|(old, text)| {
                let start = old.start + grown - shrunk;
                grown += text.len();
                shrunk += old.len();
                (*old, Span::new(start, start + text.len()))
            })
            .collect();
        Self { spans }
    }

    /// A span of the template outside every replacement, in the replaced text.
    fn to_new(&self, span: Span) -> Span {
        let before = self.spans.partition_point(|(old, _)| old.end <= span.start);
        match before.checked_sub(1).map(|i| self.spans[i]) {
            Some((old, new)) => {
                Span::new(span.start - old.end + new.end, span.end - old.end + new.end)
            }
            None => span,
        }
    }

    /// A span of the replaced text, in the template (inside a replacement: the value's span).
    fn to_old(&self, span: Span) -> Span {
        let before = self
            .spans
            .partition_point(|(_, new)| new.start <= span.start);
        match before.checked_sub(1).map(|i| self.spans[i]) {
            Some((old, new)) if span.start < new.end => old,
            Some((old, new)) => {
                Span::new(span.start - new.end + old.end, span.end - new.end + old.end)
            }
            None => span,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::Resolver;

    fn b64(text: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(text)
    }

    fn render_text(template: &str, secrets: &str) -> Result<String, Vec<Failure>> {
        let resolver = Resolver::from_secrets_yaml(secrets).unwrap();
        let plan = Plan::new(template.as_bytes(), None);
        if !plan.problems.is_empty() {
            return Err(plan.problems);
        }
        let masks: Vec<&Mask> = plan.masks().collect();
        let values = tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(resolver.resolve(&masks));
        render_plan(
            &mut template.as_bytes().to_vec(),
            &plan,
            &values,
            Escape::Auto,
        )
        .map(|bytes| String::from_utf8(bytes).unwrap())
        .map_err(|e| match e {
            RenderError::Masks(list) => list,
            other => panic!("{other}"),
        })
    }

    const SECRETS: &str = "kv/app/db:\n  password: \"s3cr3t: x\"\n  user: admin\n";

    #[test]
    fn secret_data_is_decoded_resolved_and_encoded_again() {
        let template = format!(
            "apiVersion: v1\nkind: Secret\ndata:\n  password: {}\n  url: \"{}\"\nstringData:\n  user: {{{{workato:vault:user:kv/app/db}}}}\n",
            b64("{{workato:vault:password:kv/app/db}}"),
            b64("postgres://{{workato:vault:user:kv/app/db}}@db")
        );
        let rendered = render_text(&template, SECRETS).unwrap();
        assert_eq!(
            rendered,
            format!(
                "apiVersion: v1\nkind: Secret\ndata:\n  password: {}\n  url: \"{}\"\nstringData:\n  user: admin\n",
                b64("s3cr3t: x"),
                b64("postgres://admin@db")
            )
        );
    }

    #[test]
    fn failures_inside_data_are_placed_at_the_value_and_outer_ones_where_they_are() {
        let encoded = b64("{{workato:vault:nope:kv/app/db}}");
        let template = format!(
            "kind: Secret\ndata:\n  a: {encoded}\nstringData:\n  b: {{{{workato:vault:gone:kv/app/db}}}}\n"
        );
        let failures = render_text(&template, SECRETS).unwrap_err();
        assert_eq!(failures.len(), 2, "{failures:?}");
        assert_eq!(&template[failures[0].span.range()], encoded);
        assert!(failures[0].failure.to_string().contains("base64"));
        assert_eq!(
            &template[failures[1].span.range()],
            "{{workato:vault:gone:kv/app/db}}"
        );

        let template = format!(
            "kind: Secret\ndata:\n  a: {}\nstringData:\n  b: {{{{workato:vault:gone:kv/app/db}}}}\n",
            b64("{{workato:vault:user:kv/app/db}}")
        );
        let failures = render_text(&template, SECRETS).unwrap_err();
        assert_eq!(
            &template[failures[0].span.range()],
            "{{workato:vault:gone:kv/app/db}}"
        );
    }

    #[test]
    fn an_encoded_mask_anywhere_else_is_refused_where_it_is() {
        let encoded = b64("{{workato:vault:password:kv/app/db}}");
        for template in [
            format!("kind: ConfigMap\ndata:\n  a: {encoded}\n"),
            r#"{"a": "\u007b\u007bworkato:vault:password:kv/app/db}}"}"#.to_owned(),
            "url: https://x/?q=%7B%7Bworkato%3Avault%3Apassword%3Akv%2Fapp%2Fdb%7D%7D\n".to_owned(),
        ] {
            let failures = render_text(&template, SECRETS).unwrap_err();
            assert_eq!(failures.len(), 1, "{template}");
            assert!(
                matches!(failures[0].failure, MaskFailure::Encoded(_)),
                "{template}"
            );
        }
    }

    #[test]
    fn shifts_map_both_ways() {
        let shifts = Shifts::new(&[
            (Span::new(10, 14), "abcdefgh".to_owned()),
            (Span::new(20, 30), "xy".to_owned()),
        ]);
        assert_eq!(shifts.to_new(Span::new(2, 5)), Span::new(2, 5));
        assert_eq!(shifts.to_new(Span::new(15, 17)), Span::new(19, 21));
        assert_eq!(shifts.to_new(Span::new(31, 33)), Span::new(27, 29));
        assert_eq!(shifts.to_old(Span::new(19, 21)), Span::new(15, 17));
        assert_eq!(shifts.to_old(Span::new(12, 13)), Span::new(10, 14));
        assert_eq!(shifts.to_old(Span::new(27, 29)), Span::new(31, 33));
    }
}
