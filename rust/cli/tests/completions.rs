//! `docproc completions SHELL` prints a script the shell accepts, covering
//! every command and the global `--json`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use assert_cmd::Command;

fn completions(shell: &str) -> String {
    let out = Command::cargo_bin("docproc")
        .unwrap()
        .args(["completions", shell])
        .assert()
        .success();
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

#[test]
fn bash_completion_loads_and_offers_every_command() {
    let script = completions("bash");
    for word in [
        "inspect",
        "keys",
        "dlq",
        "audit",
        "preflight",
        "plan",
        "review",
        "redrive",
        "rotate",
        "completions",
        "--json",
        "--allow-destroy",
    ] {
        assert!(script.contains(word), "{word} missing from the bash script");
    }
    // Real bash sources it and registers the completion for `docproc`.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("docproc.bash");
    std::fs::write(&file, &script).unwrap();
    let registered = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!("source {} && complete -p docproc", file.display()))
        .output()
        .unwrap();
    assert!(
        registered.status.success(),
        "{}",
        String::from_utf8_lossy(&registered.stderr)
    );
    assert!(String::from_utf8_lossy(&registered.stdout).contains("docproc"));
}

#[test]
fn every_shell_clap_supports_is_offered_and_unknown_ones_are_usage_errors() {
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        assert!(completions(shell).contains("docproc"), "{shell}");
    }
    Command::cargo_bin("docproc")
        .unwrap()
        .args(["completions", "tcsh"])
        .assert()
        .code(2);
}
