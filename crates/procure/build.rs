//! Records the git commit and repository the binary was built from, for `procure version` and
//! version.json.
//! `PROCURE_GIT_SHA` and `PROCURE_SOURCE_URL` (Docker build arguments) win over asking git,
//! which may be absent.

use std::process::Command;

#[path = "src/public_url.rs"]
mod public_url;

fn main() {
    println!("cargo:rerun-if-env-changed=PROCURE_GIT_SHA");
    println!("cargo:rerun-if-env-changed=PROCURE_BUILD_URL");
    println!("cargo:rerun-if-env-changed=PROCURE_SOURCE_URL");
    println!("cargo:rerun-if-changed=../../.git/HEAD");
    // The branch's own ref, not the whole refs/heads folder: commits on other branches (other
    // worktrees of the same repository) should not rebuild this one.
    let head = std::fs::read_to_string("../../.git/HEAD").unwrap_or_default();
    match head.trim().strip_prefix("ref: ") {
        Some(branch) => println!("cargo:rerun-if-changed=../../.git/{branch}"),
        None => println!("cargo:rerun-if-changed=../../.git/refs/heads"),
    }
    println!("cargo:rerun-if-changed=../../.git/packed-refs");
    let sha = from_env_or_git("PROCURE_GIT_SHA", &["rev-parse", "HEAD"]);
    // A clone's address may carry a CI token: what is published never does.
    let source = public_url::without_credentials(&from_env_or_git(
        "PROCURE_SOURCE_URL",
        &["config", "--get", "remote.origin.url"],
    ));
    println!("cargo:rustc-env=PROCURE_GIT_SHA={sha}");
    println!("cargo:rustc-env=PROCURE_SOURCE_URL={source}");
    println!("cargo:rustc-env=PROCURE_BUILD_URL={}", std::env::var("PROCURE_BUILD_URL").unwrap_or_default());
}

/// The variable if set, else what git answers, else "".
fn from_env_or_git(var: &str, git_args: &[&str]) -> String {
    std::env::var(var).ok().filter(|s| !s.is_empty()).unwrap_or_else(|| {
        Command::new("git")
            .args(git_args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    })
}
