//! XML 1.0: contexts from `xmlparser`'s tokens (element text, attribute values in either quote,
//! CDATA sections, comments), character references where a reader would otherwise change the
//! value (markup characters; in attributes the white space a reader normalizes; CR, which
//! every reader turns into LF), and the re-read by `roxmltree`: the output's tree must be the
//! template's, each value read back exactly.

use std::borrow::Cow;
use std::fmt::Write;

use super::{Mismatch, Placed, Slot, Syntax, TemplateSyntax, substitute_all, with_placeholders};
use crate::source::Span;

/// The XML rules.
pub(crate) struct Xml;

/// Where a mask stands in an XML document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Context {
    /// Character data between tags.
    Text,
    /// An attribute value quoted with `quote`.
    Attribute {
        quote: u8,
    },
    /// Inside `<![CDATA[…]]>`.
    Cdata,
    Comment,
    /// In an element or attribute name.
    Name,
    /// In a declaration, a processing instruction or the DTD.
    Markup,
}

/// Why a value cannot stand where its XML mask is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// A character XML 1.0 cannot hold, escaped or not.
    #[error(
        "the value holds a character XML 1.0 cannot hold in any form (a control character other than tab, LF and CR, or U+FFFE/U+FFFF)"
    )]
    Char,
    /// `]]>` or a CR in a CDATA section.
    #[error(
        "the value holds `]]>`, which ends a CDATA section, or a carriage return, which readers turn into a line feed there; put the mask in element text instead of CDATA"
    )]
    Cdata,
    /// `--`, a final `-` or a CR in a comment.
    #[error(
        "the value holds `--`, ends with `-`, or holds a carriage return (which readers turn into a line feed), none of which an XML comment can hold"
    )]
    Comment,
    /// A mask in a name.
    #[error(
        "a value cannot stand in an XML element or attribute name; move the mask into text or an attribute value"
    )]
    Name,
    /// A mask in a declaration, processing instruction or DTD.
    #[error(
        "a value cannot stand in an XML declaration, processing instruction or DTD; move the mask into text or an attribute value"
    )]
    Markup,
}

impl Syntax for Xml {
    type Context = Context;

    fn claims(_: &str, extension: &str) -> bool {
        matches!(
            extension,
            "xml"
                | "config"
                | "csproj"
                | "vbproj"
                | "fsproj"
                | "props"
                | "targets"
                | "nuspec"
                | "resx"
                | "plist"
                | "xsd"
                | "xsl"
                | "xslt"
                | "wsdl"
        )
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
        if value.chars().any(|c| !xml_char(c)) {
            return Err(Refusal::Char.into());
        }
        Ok(match context {
            Context::Text => references(value, |c| matches!(c, '&' | '<' | '>' | '\r')),
            Context::Attribute { .. } => references(value, |c| {
                matches!(c, '&' | '<' | '>' | '"' | '\'' | '\t' | '\n' | '\r')
            }),
            Context::Cdata if value.contains("]]>") || value.contains('\r') => {
                return Err(Refusal::Cdata.into());
            }
            Context::Cdata => Cow::Borrowed(value),
            Context::Comment
                if value.contains("--") || value.ends_with('-') || value.contains('\r') =>
            {
                return Err(Refusal::Comment.into());
            }
            Context::Comment => Cow::Borrowed(value),
            Context::Name => return Err(Refusal::Name.into()),
            Context::Markup => return Err(Refusal::Markup.into()),
        })
    }

    const HAS_NEVER: bool = true;

    fn never(context: &Context) -> Option<&'static str> {
        match context {
            Context::Name => Some("in an XML element or attribute name"),
            Context::Markup => Some("in an XML declaration, processing instruction or DTD"),
            _ => None,
        }
    }

    /// Always read again: a template that is not well-formed XML is an error, not an
    /// unchecked output.
    fn must_reread<'s>(_: bool, _: impl Iterator<Item = Slot<'s, Context>>) -> bool {
        true
    }

    fn reread(
        template: &mut [u8],
        slots: &[Slot<'_, Context>],
        rendered: &[u8],
    ) -> Result<Result<(), Mismatch>, TemplateSyntax> {
        let doc = with_placeholders(template, &super::spans(slots), |_| false);
        let text = std::str::from_utf8(&doc).map_err(|e| TemplateSyntax {
            offset: e.valid_up_to(),
            message: "not UTF-8".into(),
        })?;
        let mut expected = tree(text).map_err(|e| TemplateSyntax {
            offset: offset_of(text, e.pos().row, e.pos().col),
            message: e.to_string(),
        })?;
        for item in &mut expected {
            item.substitute(slots);
        }
        let actual = std::str::from_utf8(rendered)
            .ok()
            .and_then(|text| tree(text).ok());
        Ok(match actual {
            Some(actual) if actual == expected => Ok(()),
            _ => Err(Mismatch::all(slots.len())),
        })
    }
}

/// XML 1.0's `Char` production.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// `value` with each character `special` names written as a reference.
fn references(value: &str, special: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !value.chars().any(&special) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 16);
    for c in value.chars() {
        match c {
            '&' if special(c) => out.push_str("&amp;"),
            '<' if special(c) => out.push_str("&lt;"),
            '>' if special(c) => out.push_str("&gt;"),
            '"' if special(c) => out.push_str("&quot;"),
            '\'' if special(c) => out.push_str("&apos;"),
            c if special(c) => {
                let _ = write!(out, "&#{};", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The context of each mask of `doc` (masks swapped for placeholders), from its tokens.
fn contexts(doc: &[u8], masks: &[Span]) -> Result<Vec<Context>, TemplateSyntax> {
    let text = std::str::from_utf8(doc).map_err(|e| TemplateSyntax {
        offset: e.valid_up_to(),
        message: "not UTF-8".into(),
    })?;
    let mut found = vec![Context::Markup; masks.len()];
    let mut place = |range: std::ops::Range<usize>, context: Context| {
        for i in super::within(masks, range.start, range.end) {
            found[i] = context;
        }
    };
    for token in xmlparser::Tokenizer::from(text) {
        let token = token.map_err(|e| TemplateSyntax {
            offset: offset_of(text, e.pos().row, e.pos().col),
            message: e.to_string(),
        })?;
        match token {
            xmlparser::Token::ElementStart { span, .. } => place(span.range(), Context::Name),
            xmlparser::Token::ElementEnd {
                end: xmlparser::ElementEnd::Close(..),
                span,
            } => place(span.range(), Context::Name),
            xmlparser::Token::Attribute { value, span, .. } => {
                place(span.start()..value.start(), Context::Name);
                let quote = doc[value.start() - 1];
                place(value.range(), Context::Attribute { quote });
            }
            xmlparser::Token::Text { text } => place(text.range(), Context::Text),
            xmlparser::Token::Cdata { text, .. } => place(text.range(), Context::Cdata),
            xmlparser::Token::Comment { text, .. } => place(text.range(), Context::Comment),
            _ => {}
        }
    }
    Ok(found)
}

/// A parser's 1-based row and column, as a byte offset.
fn offset_of(text: &str, row: u32, col: u32) -> usize {
    let line = super::line_offset(text.as_bytes(), row.saturating_sub(1) as usize);
    let column = col.saturating_sub(1) as usize;
    text[line..]
        .char_indices()
        .nth(column)
        .map_or(text.len(), |(at, _)| line + at)
}

/// One node of a document's tree, in document order, as a reader sees it.
#[derive(Debug, PartialEq, Eq)]
enum Item {
    Start {
        namespace: Option<String>,
        name: String,
        attributes: Vec<(Option<String>, String, String)>,
    },
    End,
    Text(String),
    Comment(String),
    Pi(String, Option<String>),
}

impl Item {
    fn substitute<C>(&mut self, slots: &[Slot<'_, C>]) {
        match self {
            Self::Start { attributes, .. } => {
                for (_, _, value) in attributes {
                    *value = substitute_all(value, slots);
                }
            }
            Self::Text(text) | Self::Comment(text) => *text = substitute_all(text, slots),
            Self::End | Self::Pi(..) => {}
        }
    }
}

/// The tree `roxmltree` reads, flattened.
fn tree(text: &str) -> Result<Vec<Item>, roxmltree::Error> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, options)?;
    let mut items = Vec::new();
    walk(doc.root(), &mut items);
    Ok(items)
}

fn walk(node: roxmltree::Node<'_, '_>, items: &mut Vec<Item>) {
    for child in node.children() {
        match child.node_type() {
            roxmltree::NodeType::Element => {
                let name = child.tag_name();
                items.push(Item::Start {
                    namespace: name.namespace().map(str::to_owned),
                    name: name.name().to_owned(),
                    attributes: child
                        .attributes()
                        .map(|a| {
                            (
                                a.namespace().map(str::to_owned),
                                a.name().to_owned(),
                                a.value().to_owned(),
                            )
                        })
                        .collect(),
                });
                walk(child, items);
                items.push(Item::End);
            }
            roxmltree::NodeType::Text => {
                items.push(Item::Text(child.text().unwrap_or_default().to_owned()));
            }
            roxmltree::NodeType::Comment => {
                items.push(Item::Comment(child.text().unwrap_or_default().to_owned()));
            }
            roxmltree::NodeType::PI => {
                if let Some(pi) = child.pi() {
                    items.push(Item::Pi(pi.target.to_owned(), pi.value.map(str::to_owned)));
                }
            }
            roxmltree::NodeType::Root => {}
        }
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
    fn text_attributes_cdata_comments_and_names() {
        assert_eq!(of("<a>x SMq0q</a>"), [Context::Text]);
        assert_eq!(
            of("<a b=\"SMq0q\" c='SMq0q'/>"),
            [
                Context::Attribute { quote: b'"' },
                Context::Attribute { quote: b'\'' }
            ]
        );
        assert_eq!(of("<a><![CDATA[ SMq0q ]]></a>"), [Context::Cdata]);
        assert_eq!(of("<a><!-- SMq0q --></a>"), [Context::Comment]);
        assert_eq!(of("<aSMq0q/>"), [Context::Name]);
        assert_eq!(of("<a SMq0q='1'/>"), [Context::Name]);
        assert_eq!(of("<?pi SMq0q?><a/>"), [Context::Markup]);
    }

    #[test]
    fn markup_characters_become_references() {
        let text = |v| references(v, |c| matches!(c, '&' | '<' | '>' | '\r')).into_owned();
        assert_eq!(
            text("a</v><admin>1</admin><v>"),
            "a&lt;/v&gt;&lt;admin&gt;1&lt;/admin&gt;&lt;v&gt;"
        );
        assert_eq!(text("x&y\r\n"), "x&amp;y&#13;\n");
        assert!(!xml_char('\u{1}') && !xml_char('\u{FFFE}') && xml_char('\u{85}'));
    }
}
