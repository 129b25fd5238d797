//! Small, safe XML helpers for office metadata parts: no DTDs, no entity
//! expansion, bounded input, only the elements and attributes asked for.

use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};
use std::collections::BTreeMap;

/// Local name of a possibly prefixed XML name (`dc:title` → `title`).
fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// Text content of elements whose local names are listed (first occurrence),
/// and attributes of any element whose local names are listed. Returns
/// `None` for malformed XML or XML with a DOCTYPE.
pub fn extract(
    xml: &[u8],
    elements: &[&str],
    attributes: &[&str],
) -> Option<BTreeMap<String, String>> {
    let mut reader = Reader::from_reader(xml);
    reader.config_mut().check_end_names = true;
    let mut out = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut buf = Vec::new();
    let mut depth = 0u32;
    loop {
        match reader.read_event_into(&mut buf).ok()? {
            Event::DocType(_) => return None,
            Event::Start(e) => {
                depth += 1;
                if depth > 64 {
                    return None;
                }
                let name = local(e.name().as_ref()).to_string();
                collect_attributes(&e, attributes, &mut out);
                current = elements.contains(&name.as_str()).then_some(name);
            }
            Event::Empty(e) => collect_attributes(&e, attributes, &mut out),
            Event::Text(t) => {
                if let Some(name) = &current {
                    let text = t.xml_content(XmlVersion::Implicit1_0).trim().to_string();
                    if !text.is_empty() && !out.contains_key(name) {
                        out.insert(name.clone(), text.chars().take(512).collect());
                    }
                }
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                current = None;
            }
            Event::Eof => return Some(out),
            _ => {}
        }
        buf.clear();
    }
}

fn collect_attributes(
    e: &quick_xml::events::BytesStart<'_>,
    wanted: &[&str],
    out: &mut BTreeMap<String, String>,
) {
    for attr in e.attributes().flatten() {
        let key = local(attr.key.as_ref()).to_string();
        if wanted.contains(&key.as_str()) {
            if let Ok(v) = attr.normalized_value(XmlVersion::Implicit1_0) {
                out.entry(key)
                    .or_insert_with(|| v.chars().take(512).collect());
            }
        }
    }
}

/// Counts elements with the given local name.
pub fn count_elements(xml: &[u8], name: &str) -> Option<u64> {
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut n = 0;
    loop {
        match reader.read_event_into(&mut buf).ok()? {
            Event::DocType(_) => return None,
            Event::Start(e) | Event::Empty(e) if local(e.name().as_ref()) == name => n += 1,
            Event::Eof => return Some(n),
            _ => {}
        }
        buf.clear();
    }
}
