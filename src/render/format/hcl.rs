//! HCL (Terraform `.tf` and `.tfvars`, Packer, Nomad, Terragrunt): contexts from `hcl-edit`'s
//! parse of the template (quoted string templates, heredocs, bare values, names, comments),
//! HCL's escapes (`\\`, `\"`, `\n`, `\uXXXX`; `$${` and `%%{` for a literal `${` and `%{`, so a
//! value never becomes a template expression), and the re-read by `hcl-edit`: the same
//! structure, each string reading back exactly as the value.

use std::borrow::Cow;
use std::fmt::Write;
use std::ops::Range;

use hcl_edit::Span as _;
use hcl_edit::expr::{Expression, ObjectKey, ObjectValue, UnaryOperator};
use hcl_edit::visit::{self, Visit};
use unicode_normalization::is_nfc;

use super::{Mismatch, Placed, Slot, Syntax, TemplateSyntax, with_placeholders};
use crate::source::Span;

/// The HCL rules.
pub(crate) struct Hcl;

/// Where a mask stands in an HCL file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Context {
    /// A `#` or `//` comment.
    Comment,
    /// A `/* … */` comment.
    BlockComment,
    /// The literal text of a quoted string template.
    Quoted,
    /// The literal text of a heredoc; `indented` for `<<-`, whose lines are dedented together.
    Heredoc { delimiter: String, indented: bool },
    /// A whole expression: a number, boolean or null fits.
    Bare,
    /// An attribute, block, label or object key name.
    Name,
    /// Anywhere else in an expression.
    Expression,
}

/// Why a value cannot stand where its HCL mask is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// Not one number, boolean or null outside a string.
    #[error(
        "outside an HCL string only a number, true, false or null fits; put the mask in a string: \"…\""
    )]
    Bare,
    /// What a heredoc cannot hold.
    #[error(
        "the value holds a carriage return, a control character or a line equal to the heredoc's delimiter `{delimiter}`, which a heredoc cannot hold; use a quoted string"
    )]
    Heredoc {
        /// The delimiter.
        delimiter: String,
    },
    /// A line break in an indented heredoc.
    #[error(
        "the value spans lines, which would change how `<<-` dedents the heredoc; use `<<` or a quoted string"
    )]
    IndentedHeredoc,
    /// A string HCL would normalize.
    #[error(
        "the value is not in Unicode normalization form C, which HCL (and so Terraform) applies to every string, so it would read back as other characters"
    )]
    NotNfc,
    /// `*/` in a block comment.
    #[error("the value holds `*/`, which would end the comment")]
    CommentEnd,
    /// A mask in a name.
    #[error(
        "a value cannot stand in an HCL attribute, block, label or key name; move the mask into a string"
    )]
    Name,
}

impl Syntax for Hcl {
    type Context = Context;

    fn claims(_: &str, extension: &str) -> bool {
        matches!(extension, "tf" | "tfvars" | "hcl" | "nomad")
    }

    fn place(template: &mut [u8], masks: &[Span]) -> Result<Placed<Context>, TemplateSyntax> {
        let contexts = super::swap_placeholders(template, masks, |doc| contexts(doc, masks))?;
        let in_key = contexts.contains(&Context::Name);
        Ok(Placed { contexts, in_key })
    }

    fn escape<'v>(
        value: &'v crate::resolve::Value,
        context: &Context,
    ) -> Result<Cow<'v, str>, super::Refusal> {
        use secrecy::ExposeSecret;
        let value = value.expose_secret();
        Ok(match context {
            Context::Comment => super::in_comment(value)?,
            Context::BlockComment if value.contains("*/") => {
                return Err(Refusal::CommentEnd.into());
            }
            Context::BlockComment => Cow::Borrowed(value),
            Context::Quoted | Context::Heredoc { .. } if !is_nfc(value) => {
                return Err(Refusal::NotNfc.into());
            }
            Context::Quoted => Cow::Owned(quoted(value)),
            Context::Heredoc {
                delimiter,
                indented,
            } => heredoc(value, delimiter, *indented)?,
            Context::Bare => bare(value)?,
            Context::Name => return Err(Refusal::Name.into()),
            Context::Expression => {
                return Err(super::Refusal::Unplaceable("inside an HCL expression"));
            }
        })
    }

    const HAS_NEVER: bool = true;

    fn never(context: &Context) -> Option<&'static str> {
        match context {
            Context::Name => Some("in an HCL attribute, block, label or key name"),
            Context::Expression => Some("inside an HCL expression"),
            _ => None,
        }
    }

    /// Always read again: a template that is not HCL is an error, not an unchecked output.
    fn must_reread<'s>(_: bool, _: impl Iterator<Item = Slot<'s, Context>>) -> bool {
        true
    }

    fn reread(
        template: &mut [u8],
        slots: &[Slot<'_, Context>],
        rendered: &[u8],
    ) -> Result<Result<(), Mismatch>, TemplateSyntax> {
        let masks = super::spans(slots);
        let doc = with_placeholders(template, &masks, |i| *slots[i].context == Context::Bare);
        let mut expected = Vec::new();
        for leaf in leaves(&doc).map_err(|e| syntax(&doc, &e))? {
            match leaf {
                Leaf::Str(text) => {
                    match super::bare_placeholder(&text, slots, |c| *c == Context::Bare) {
                        Some(i) => {
                            let slot = &slots[i];
                            let value = hcl_edit::parser::parse_expr(slot.text())
                                .expect("escaping let only an expression through");
                            let mut read = Leaves::default();
                            read.visit_expr(&value);
                            expected.extend(read.0);
                        }
                        None => expected.push(Leaf::Str(super::substitute_all(&text, slots))),
                    }
                }
                leaf => expected.push(leaf),
            }
        }
        Ok(match leaves(rendered) {
            Ok(actual) if actual == expected => Ok(()),
            _ => Err(Mismatch::all(slots.len())),
        })
    }
}

fn syntax(doc: &[u8], e: &hcl_edit::parser::Error) -> TemplateSyntax {
    let at = e.location();
    TemplateSyntax {
        offset: super::json::line_col_offset(doc, at.line(), at.column()),
        message: e.message().to_owned(),
    }
}

/// A quoted string's escapes, with `${` and `%{` doubled so they stay text.
fn quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '{' if out.ends_with('$') || out.ends_with('%') => {
                // A `$` or `%` just written would open a template with this brace: double it.
                let marker = out.pop().expect("checked");
                out.push(marker);
                out.push(marker);
                out.push('{');
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// A heredoc's text: no escapes but the doubled template markers; nothing that ends it or that
/// a reader changes.
fn heredoc<'v>(value: &'v str, delimiter: &str, indented: bool) -> Result<Cow<'v, str>, Refusal> {
    if indented && value.contains('\n') {
        return Err(Refusal::IndentedHeredoc);
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\t' && c != '\n')
        || value.lines().any(|line| line.trim() == delimiter)
    {
        return Err(Refusal::Heredoc {
            delimiter: delimiter.to_owned(),
        });
    }
    if !value.contains("${") && !value.contains("%{") {
        return Ok(Cow::Borrowed(value));
    }
    Ok(Cow::Owned(value.replace("${", "$${").replace("%{", "%%{")))
}

/// What HCL reads as one number, boolean or null, written as JSON writes it (so `007`, which
/// HCL reads as 7, is not taken for the number it does not spell), and nothing more.
fn bare(value: &str) -> Result<Cow<'_, str>, Refusal> {
    if value.is_empty()
        || value.contains(|c: char| c.is_whitespace() || matches!(c, '#' | '/' | '*'))
        || !matches!(
            serde_json::from_str::<serde_json::Value>(value),
            Ok(serde_json::Value::Number(_) | serde_json::Value::Bool(_) | serde_json::Value::Null)
        )
    {
        return Err(Refusal::Bare);
    }
    match hcl_edit::parser::parse_expr(value) {
        Ok(Expression::Number(_) | Expression::Bool(_) | Expression::Null(_)) => {
            Ok(Cow::Borrowed(value))
        }
        Ok(Expression::UnaryOp(op))
            if *op.operator.value() == UnaryOperator::Neg
                && matches!(op.expr, Expression::Number(_)) =>
        {
            Ok(Cow::Borrowed(value))
        }
        _ => Err(Refusal::Bare),
    }
}

/// The context of each mask of `doc` (masks swapped for placeholders): the smallest node of
/// the parse that holds it, else a comment, else an expression.
fn contexts(doc: &[u8], masks: &[Span]) -> Result<Vec<Context>, TemplateSyntax> {
    let text = std::str::from_utf8(doc).map_err(|e| TemplateSyntax {
        offset: e.valid_up_to(),
        message: "not UTF-8".into(),
    })?;
    let body = hcl_edit::parser::parse_body(text).map_err(|e| syntax(doc, &e))?;
    let mut regions = Regions {
        doc,
        found: Vec::new(),
        literal: None,
    };
    regions.visit_body(&body);
    Ok(masks
        .iter()
        .map(|mask| {
            regions
                .found
                .iter()
                .filter(|(range, _)| range.start <= mask.start && mask.end <= range.end)
                .min_by_key(|(range, _)| range.len())
                .map_or_else(|| comment(doc, *mask), |(_, context)| context.clone())
        })
        .collect())
}

/// A mask outside every node: in a comment, or in an expression's syntax.
fn comment(doc: &[u8], mask: Span) -> Context {
    let line_start = memchr::memrchr(b'\n', &doc[..mask.start]).map_or(0, |i| i + 1);
    let before = &doc[line_start..mask.start];
    if memchr::memchr(b'#', before).is_some() || memchr::memmem::find(before, b"//").is_some() {
        return Context::Comment;
    }
    let opened = memchr::memmem::rfind(&doc[..mask.start], b"/*");
    let closed = memchr::memmem::rfind(&doc[..mask.start], b"*/");
    match (opened, closed) {
        (Some(open), Some(close)) if open > close => Context::BlockComment,
        (Some(_), None) => Context::BlockComment,
        _ => Context::Expression,
    }
}

/// The nodes a mask can stand in, with their byte ranges.
struct Regions<'d> {
    doc: &'d [u8],
    found: Vec<(Range<usize>, Context)>,
    /// What a literal met now is part of.
    literal: Option<Context>,
}

impl Regions<'_> {
    fn add(&mut self, range: Option<Range<usize>>, context: Context) {
        if let Some(range) = range {
            self.found.push((range, context));
        }
    }

    fn inside(&mut self, literal: Option<Context>, walk: impl FnOnce(&mut Self)) {
        let outer = std::mem::replace(&mut self.literal, literal);
        walk(self);
        self.literal = outer;
    }
}

impl Visit for Regions<'_> {
    fn visit_expr(&mut self, node: &Expression) {
        match node {
            Expression::Variable(var) => self.add(var.span(), Context::Bare),
            Expression::String(string) => {
                // The text between the quotes.
                let inner = string.span().map(|r| r.start + 1..r.end.saturating_sub(1));
                self.add(inner, Context::Quoted);
            }
            _ => visit::visit_expr(self, node),
        }
    }

    fn visit_string_template(&mut self, node: &hcl_edit::template::StringTemplate) {
        self.inside(Some(Context::Quoted), |v| {
            visit::visit_string_template(v, node);
        });
    }

    fn visit_heredoc_template(&mut self, node: &hcl_edit::template::HeredocTemplate) {
        let indented = node
            .span()
            .is_some_and(|r| self.doc[r.start..].starts_with(b"<<-"));
        let context = Context::Heredoc {
            delimiter: node.delimiter.as_str().to_owned(),
            indented,
        };
        self.inside(Some(context), |v| visit::visit_heredoc_template(v, node));
    }

    fn visit_interpolation(&mut self, node: &hcl_edit::template::Interpolation) {
        self.inside(None, |v| visit::visit_interpolation(v, node));
    }

    fn visit_directive(&mut self, node: &hcl_edit::template::Directive) {
        self.inside(None, |v| visit::visit_directive(v, node));
    }

    fn visit_literal(&mut self, node: &hcl_edit::Spanned<String>) {
        if let Some(context) = self.literal.clone() {
            self.add(node.span(), context);
        }
    }

    fn visit_ident(&mut self, node: &hcl_edit::Decorated<hcl_edit::Ident>) {
        self.add(node.span(), Context::Name);
    }

    fn visit_block_label(&mut self, node: &hcl_edit::structure::BlockLabel) {
        self.add(node.span(), Context::Name);
    }

    fn visit_object_item(&mut self, key: &ObjectKey, value: &ObjectValue) {
        // A key, quoted or not, is a name: a value could repeat another key there.
        self.add(key.span(), Context::Name);
        self.visit_object_value(value);
    }
}

/// The parse of a document as readers compare it: names, literal text (escapes read),
/// scalars, operators, and where each construct opens and closes.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Leaf {
    Name(String),
    Str(String),
    Scalar(String),
    Op(String),
    Open(&'static str),
    Close,
}

fn leaves(doc: &[u8]) -> Result<Vec<Leaf>, hcl_edit::parser::Error> {
    let text = String::from_utf8_lossy(doc);
    let body = hcl_edit::parser::parse_body(&text)?;
    let mut leaves = Leaves::default();
    leaves.visit_body(&body);
    Ok(leaves.0)
}

#[derive(Default)]
struct Leaves(Vec<Leaf>);

impl Leaves {
    fn around(&mut self, what: &'static str, walk: impl FnOnce(&mut Self)) {
        self.0.push(Leaf::Open(what));
        walk(self);
        self.0.push(Leaf::Close);
    }
}

impl Visit for Leaves {
    fn visit_ident(&mut self, node: &hcl_edit::Decorated<hcl_edit::Ident>) {
        self.0.push(Leaf::Name(node.as_str().to_owned()));
    }
    fn visit_null(&mut self, _: &hcl_edit::Decorated<hcl_edit::expr::Null>) {
        self.0.push(Leaf::Scalar("null".into()));
    }
    fn visit_bool(&mut self, node: &hcl_edit::Decorated<bool>) {
        self.0.push(Leaf::Scalar(node.value().to_string()));
    }
    fn visit_u64(&mut self, node: &hcl_edit::Decorated<u64>) {
        self.0.push(Leaf::Scalar(node.value().to_string()));
    }
    fn visit_number(&mut self, node: &hcl_edit::Formatted<hcl_edit::Number>) {
        self.0.push(Leaf::Scalar(node.value().to_string()));
    }
    fn visit_string(&mut self, node: &hcl_edit::Decorated<String>) {
        self.0.push(Leaf::Str(node.value().clone()));
    }
    fn visit_literal(&mut self, node: &hcl_edit::Spanned<String>) {
        self.0.push(Leaf::Str(node.value().clone()));
    }
    fn visit_splat(&mut self, _: &hcl_edit::Decorated<hcl_edit::expr::Splat>) {
        self.0.push(Leaf::Op("*".into()));
    }
    fn visit_unary_operator(&mut self, node: &hcl_edit::Spanned<UnaryOperator>) {
        self.0.push(Leaf::Op(node.value().as_str().into()));
    }
    fn visit_binary_operator(
        &mut self,
        node: &hcl_edit::Decorated<hcl_edit::expr::BinaryOperator>,
    ) {
        self.0.push(Leaf::Op(node.value().as_str().into()));
    }
    fn visit_attr(&mut self, node: &hcl_edit::structure::Attribute) {
        self.around("attribute", |v| visit::visit_attr(v, node));
    }
    fn visit_block(&mut self, node: &hcl_edit::structure::Block) {
        self.around("block", |v| visit::visit_block(v, node));
    }
    fn visit_block_label(&mut self, node: &hcl_edit::structure::BlockLabel) {
        self.around("label", |v| visit::visit_block_label(v, node));
    }
    fn visit_array(&mut self, node: &hcl_edit::expr::Array) {
        self.around("array", |v| visit::visit_array(v, node));
    }
    fn visit_object(&mut self, node: &hcl_edit::expr::Object) {
        self.around("object", |v| visit::visit_object(v, node));
    }
    fn visit_object_item(&mut self, key: &ObjectKey, value: &ObjectValue) {
        self.around("item", |v| visit::visit_object_item(v, key, value));
    }
    fn visit_string_template(&mut self, node: &hcl_edit::template::StringTemplate) {
        self.around("string", |v| visit::visit_string_template(v, node));
    }
    fn visit_heredoc_template(&mut self, node: &hcl_edit::template::HeredocTemplate) {
        self.around("heredoc", |v| visit::visit_heredoc_template(v, node));
    }
    fn visit_interpolation(&mut self, node: &hcl_edit::template::Interpolation) {
        self.around("interpolation", |v| visit::visit_interpolation(v, node));
    }
    fn visit_directive(&mut self, node: &hcl_edit::template::Directive) {
        self.around("directive", |v| visit::visit_directive(v, node));
    }
    fn visit_parenthesis(&mut self, node: &hcl_edit::expr::Parenthesis) {
        self.around("parenthesis", |v| visit::visit_parenthesis(v, node));
    }
    fn visit_conditional(&mut self, node: &hcl_edit::expr::Conditional) {
        self.around("conditional", |v| visit::visit_conditional(v, node));
    }
    fn visit_func_call(&mut self, node: &hcl_edit::expr::FuncCall) {
        self.around("call", |v| visit::visit_func_call(v, node));
    }
    fn visit_traversal(&mut self, node: &hcl_edit::expr::Traversal) {
        self.around("traversal", |v| visit::visit_traversal(v, node));
    }
    fn visit_for_expr(&mut self, node: &hcl_edit::expr::ForExpr) {
        self.around("for", |v| visit::visit_for_expr(v, node));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(doc: &str) -> Vec<Context> {
        let masks = crate::render::format::markers(doc, "SMq0q");
        contexts(doc.as_bytes(), &masks).unwrap()
    }

    #[test]
    fn strings_heredocs_bare_values_names_and_comments() {
        assert_eq!(of("a = \"x SMq0q\"\n"), [Context::Quoted]);
        assert_eq!(of("a = \"${var.x}-SMq0q\"\n"), [Context::Quoted]);
        assert_eq!(of("a = SMq0q\n"), [Context::Bare]);
        assert_eq!(of("a = [1, SMq0q]\n"), [Context::Bare]);
        assert_eq!(of("SMq0q = 1\n"), [Context::Name]);
        assert_eq!(of("a = { SMq0q = 1 }\n"), [Context::Name]);
        assert_eq!(of("a = { \"SMq0q\" = 1 }\n"), [Context::Name]);
        assert_eq!(of("resource \"SMq0q\" \"b\" {}\n"), [Context::Name]);
        assert_eq!(of("a = 1 # SMq0q\n"), [Context::Comment]);
        assert_eq!(of("a = 1 // SMq0q\n"), [Context::Comment]);
        assert_eq!(of("/* SMq0q */\na = 1\n"), [Context::BlockComment]);
        assert_eq!(
            of("a = <<EOT\nx SMq0q\nEOT\n"),
            [Context::Heredoc {
                delimiter: "EOT".into(),
                indented: false
            }]
        );
        assert_eq!(
            of("a = <<-EOT\n  x SMq0q\n  EOT\n"),
            [Context::Heredoc {
                delimiter: "EOT".into(),
                indented: true
            }]
        );
        assert_eq!(of("a = \"${SMq0q}\"\n"), [Context::Bare]);
    }

    #[test]
    fn quoted_strings_escape_template_markers() {
        assert_eq!(quoted("a${b}%{c}\"\\\n"), "a$${b}%%{c}\\\"\\\\\\n");
        assert_eq!(quoted("$${x}"), "$$${x}");
        assert_eq!(quoted("\u{1}"), "\\u0001");
    }

    #[test]
    fn strings_must_be_what_hcl_normalizes_them_to() {
        let value = |text: &str| {
            crate::resolve::Value::new(text.to_owned().into(), crate::resolve::Kind::String)
        };
        assert!(Hcl::escape(&value("caf\u{e9}"), &Context::Quoted).is_ok());
        // U+0A5E is decomposed by NFC, which HCL applies to string literals.
        assert!(Hcl::escape(&value("\u{a5e}"), &Context::Quoted).is_err());
        assert!(Hcl::escape(&value("e\u{301}"), &Context::Quoted).is_err());
    }

    #[test]
    fn bare_takes_one_number_boolean_or_null() {
        for value in ["1", "-7", "1.5", "1e3", "true", "false", "null"] {
            assert!(bare(value).is_ok(), "{value}");
        }
        for value in [
            "abc", "1 + 1", "\"s\"", "", "1 # x", "[1]", "var.x", "007", "0x1F",
        ] {
            assert!(bare(value).is_err(), "{value}");
        }
    }
}
