//! PDFs that carry actions running code are never accepted: JavaScript
//! actions (`/S /JavaScript`, `/JS`, the `/JavaScript` name tree) and Launch
//! actions, wherever they sit (nested in the catalog, in their own object)
//! and however their names are spelled (`#xx` escapes, ISO 32000-1 7.3.5).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use docproc_engine::{inspect, Declared, Limits, Reason, Verdict};

/// A one-page PDF with `catalog_extra` inside the catalog dictionary and
/// `extra_objects` appended, with a correct xref table.
fn pdf(catalog_extra: &str, extra_objects: &[&str]) -> Vec<u8> {
    let mut objects = vec![
        format!("<< /Type /Catalog /Pages 2 0 R {catalog_extra} >>"),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>".to_string(),
    ];
    objects.extend(extra_objects.iter().map(|o| o.to_string()));
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn verdict(bytes: &[u8]) -> Verdict {
    inspect(
        &bytes.to_vec(),
        &Declared::new("a.pdf", "application/pdf"),
        &Limits::default(),
    )
}

#[test]
fn a_plain_pdf_is_accepted() {
    assert!(
        verdict(&pdf("", &[])).is_accepted(),
        "{:?}",
        verdict(&pdf("", &[]))
    );
}

#[test]
fn javascript_and_launch_actions_are_active_content() {
    for (catalog, objects) in [
        (
            "/OpenAction << /S /JavaScript /JS (app.alert(1)) >>",
            vec![],
        ),
        (
            "/OpenAction 4 0 R",
            vec![
                "<< /Type /Action /S /JavaScript /JS 5 0 R >>",
                "(app.alert(1))",
            ],
        ),
        (
            "/Names << /JavaScript << /Names [(a) 4 0 R] >> >>",
            vec!["<< /S /JavaScript /JS (x) >>"],
        ),
        ("/OpenAction << /S /Launch /F (cmd.exe) >>", vec![]),
        // The same names spelled with #xx escapes.
        (
            "/OpenAction << /S /Java#53cript /J#53 (app.alert(1)) >>",
            vec![],
        ),
        ("/OpenAction << /S /#4caunch /F (calc) >>", vec![]),
    ] {
        let v = verdict(&pdf(catalog, &objects));
        assert_eq!(v.reason(), Some(Reason::ActiveContent), "{catalog}: {v:?}");
    }
}
