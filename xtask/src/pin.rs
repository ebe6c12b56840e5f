//! Points every `action.yml` at one published image, pinned by digest (run by the release
//! workflow after it pushed the image).

use std::path::Path;

use anyhow::{Context as _, bail};

use crate::lint::manifests;

/// Rewrites the `image: docker://…` line of every action.yml to `docker://<reference>`.
pub(crate) fn run(root: &Path, reference: &str) -> anyhow::Result<()> {
    let valid_digest = reference.split_once("@sha256:").is_some_and(|(name, hex)| {
        !name.is_empty() && hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())
    });
    if !valid_digest {
        bail!(
            "expected an image reference pinned by digest, like ghcr.io/owner/suite@sha256:<64 hex>, got '{reference}'"
        );
    }
    for manifest in manifests(root) {
        let text = std::fs::read_to_string(&manifest)
            .with_context(|| format!("read {}", manifest.display()))?;
        let mut replaced = 0;
        let lines: Vec<String> = text
            .lines()
            .map(|line| match line.split_once("image: docker://") {
                Some((indent, _)) if indent.trim().is_empty() => {
                    replaced += 1;
                    format!("{indent}image: docker://{reference}")
                }
                _ => line.to_owned(),
            })
            .collect();
        if replaced != 1 {
            bail!(
                "{} has {replaced} `image: docker://` lines; expected one",
                manifest.display()
            );
        }
        std::fs::write(&manifest, lines.join("\n") + "\n")?;
        println!("pinned {}", manifest.display());
    }
    Ok(())
}
