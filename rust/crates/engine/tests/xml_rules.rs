//! The XML rules wherever XML occurs: active content (scripts, event
//! handlers, script URLs) is rejected, data that merely looks similar is not.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use docproc_engine::{inspect, Declared, Limits, Reason, Verdict};

fn verdict(xml: &str) -> Verdict {
    inspect(
        &xml.as_bytes().to_vec(),
        &Declared::new("doc.xml", "application/xml"),
        &Limits::default(),
    )
}

#[test]
fn handler_counts_even_when_the_namespace_is_declared_after_it() {
    let v = verdict(r#"<svg onload="alert(1)" xmlns="http://www.w3.org/2000/svg"/>"#);
    assert_eq!(v.reason(), Some(Reason::ActiveContent), "{v:?}");
}

#[test]
fn animating_an_event_handler_is_active_content() {
    let v = verdict(
        r#"<svg xmlns="http://www.w3.org/2000/svg"><set attributeName="onmouseover" to="alert(1)"/></svg>"#,
    );
    assert_eq!(v.reason(), Some(Reason::ActiveContent), "{v:?}");
}

#[test]
fn embedded_xhtml_frames_are_active_content() {
    let v = verdict(
        r#"<doc xmlns:h="http://www.w3.org/1999/xhtml"><h:body><h:iframe src="x"/></h:body></doc>"#,
    );
    assert_eq!(v.reason(), Some(Reason::ActiveContent), "{v:?}");
}

#[test]
fn on_attributes_outside_svg_and_xhtml_are_data() {
    let v = verdict(r#"<config onboarding="yes"><item online="true"/></config>"#);
    assert!(v.is_accepted(), "{v:?}");
}

#[test]
fn the_svg_scope_ends_with_its_element() {
    let v = verdict(
        r#"<doc><svg xmlns="http://www.w3.org/2000/svg"><rect/></svg><event onset="now"/></doc>"#,
    );
    assert!(v.is_accepted(), "{v:?}");
}

#[test]
fn script_urls_in_any_attribute_are_active_content() {
    for url in [
        "javascript:alert(1)",
        " JaVaScRiPt:x",
        "java&#10;script:x",
        "vbscript:x",
    ] {
        let v = verdict(&format!(r#"<doc><link target="{url}"/></doc>"#));
        assert_eq!(v.reason(), Some(Reason::ActiveContent), "{url}: {v:?}");
    }
    let v = verdict(r#"<doc><link target="https://example.com/javascript:x"/></doc>"#);
    assert!(v.is_accepted(), "{v:?}");
}

#[test]
fn a_part_rejection_names_the_part() {
    let corpus = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let report = docproc_engine::inspect_file(
        &corpus.join("docx-doctype.docx"),
        &Declared::default(),
        &Limits::default(),
    )
    .unwrap();
    match report.verdict {
        Verdict::Rejected(r) => {
            assert_eq!(r.reason, Reason::XmlDoctype);
            assert!(r.message.contains("word/document.xml"), "{}", r.message);
        }
        other => panic!("accepted: {other:?}"),
    }
}

#[test]
fn leading_whitespace_cannot_hide_what_a_document_is() {
    // Past the first 4 KiB read to classify text, whitespace still counts
    // as leading: the SVG is checked as XML and the page as HTML.
    let svg = format!(
        "{}<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>",
        " ".repeat(100_000)
    );
    let v = inspect(
        &svg.into_bytes(),
        &Declared::new("notes.txt", "text/plain"),
        &Limits::default(),
    );
    assert_eq!(v.reason(), Some(Reason::ActiveContent), "{v:?}");
    let page = format!("\u{feff}{}<html><body>x</body></html>", "\n".repeat(5000));
    let v = inspect(
        &page.into_bytes(),
        &Declared::new("page.txt", "text/plain"),
        &Limits::default(),
    );
    assert_eq!(v.reason(), Some(Reason::Unsupported), "{v:?}");
}

#[test]
fn markup_html_would_read_is_not_hidden_in_comments_or_instructions() {
    for doc in [
        "<a><!--><script>alert(1)</script>--></a>",
        "<a><!---><script>alert(1)</script>--></a>",
        "<a><!-- x --!><script>alert(1)</script>--></a>",
        "<a><?x ><script>alert(1)</script>?></a>",
        "<a><![CDATA[<SCRIPT>alert(1)</SCRIPT>]]></a>",
    ] {
        assert_eq!(verdict(doc).reason(), Some(Reason::ActiveContent), "{doc}");
    }
    for doc in [
        "<a><!-- <old>commented out</old> --></a>",
        "<a><![CDATA[ if (a > b && c < d) { x(); } ]]></a>",
        "<?xml-stylesheet type=\"text/xsl\" href=\"a.xsl\"?><a/>",
    ] {
        assert!(verdict(doc).is_accepted(), "{doc}");
    }
}

#[test]
fn only_ascii_compatible_encodings_may_be_declared() {
    let utf7 = "<?xml version=\"1.0\" encoding=\"UTF-7\"?><a>+ADw-script+AD4-</a>";
    assert_eq!(verdict(utf7).reason(), Some(Reason::Unsupported));
    for encoding in [
        "UTF-8",
        "utf-8",
        "ISO-8859-1",
        "ISO8859_1",
        "windows-1252",
        "US-ASCII",
        "EUC-JP",
        "utf-16",
    ] {
        let doc = format!("<?xml version=\"1.0\" encoding='{encoding}'?><a>plain</a>");
        assert!(verdict(&doc).is_accepted(), "{encoding}");
    }
    for hidden in [
        "<?xml version=\"1.0\" x-encoding=\"utf-8\" encoding=\"UTF-7\"?><a/>",
        "<?xml version=\"1.0\" encoding='Shift_JIS'?><a/>",
        "<?xml\tversion=\"1.0\" encoding = \"GBK\"?><a/>",
    ] {
        assert_eq!(
            verdict(hidden).reason(),
            Some(Reason::Unsupported),
            "{hidden}"
        );
    }
    let padded = format!(
        "<?xml version=\"1.0\"{} encoding=\"UTF-7\"?><a/>",
        " ".repeat(2000)
    );
    assert_eq!(verdict(&padded).reason(), Some(Reason::Malformed));
}
