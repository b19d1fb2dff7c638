//! The translations are complete: every message of `app/ui/locales/en.ftl`
//! exists in every other language file (and no file has one English lacks),
//! every file parses, every message id the UI or the shell asks for exists,
//! and messages that take values take the same ones everywhere and get them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use fluent_syntax::ast::Entry;

fn locales() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/locales")
}

fn ids(file: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(file).unwrap();
    let resource = fluent_syntax::parser::parse(text.as_str())
        .unwrap_or_else(|(_, errors)| panic!("{}: {errors:?}", file.display()));
    resource
        .body
        .iter()
        .filter_map(|e| match e {
            Entry::Message(m) => Some(m.id.name.to_owned()),
            _ => None,
        })
        .collect()
}

/// Each message's variables (`{ $name }`), read from the file's text: a
/// message is its `id =` line and the indented lines after it.
fn variables(file: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let text = std::fs::read_to_string(file).unwrap();
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut current = None;
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(char::is_whitespace)
            && let Some((id, _)) = line.split_once(" =")
        {
            current = Some(id.trim().to_owned());
            out.entry(id.trim().to_owned()).or_default();
        }
        if let Some(id) = &current {
            for (i, _) in line.match_indices('$') {
                let name: String = line[i + 1..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect();
                out.get_mut(id).unwrap().insert(name);
            }
        }
    }
    out
}

/// The string literals of `source` that follow `prefix` (up to the next quote).
fn literals_after(source: &str, prefix: &str) -> Vec<String> {
    source
        .match_indices(prefix)
        .filter_map(|(i, _)| {
            let rest = &source[i + prefix.len()..];
            rest.find('"').map(|end| rest[..end].to_owned())
        })
        .collect()
}

#[test]
fn every_message_exists_in_every_language() {
    let english = ids(&locales().join("en.ftl"));
    assert!(english.len() > 50, "{} messages", english.len());
    let mut files = 0;
    for entry in std::fs::read_dir(locales()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "ftl") {
            continue;
        }
        files += 1;
        let these = ids(&path);
        let missing: Vec<_> = english.difference(&these).collect();
        let extra: Vec<_> = these.difference(&english).collect();
        assert!(missing.is_empty(), "{} lacks {missing:?}", path.display());
        assert!(
            extra.is_empty(),
            "{} has {extra:?}, which English lacks",
            path.display()
        );
    }
    assert!(files >= 2);

    // Every id asked for: `t("…")`, `tv("…"`, the labels passed to `t`, and the
    // shell's date phrases.
    let mut ui = String::new();
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs")
                && path.file_name().is_some_and(|n| n != "i18n.rs")
            {
                ui.push_str(&std::fs::read_to_string(path).unwrap());
            }
        }
    }
    assert!(ui.contains("t(\""), "the UI's sources were not found");
    let mut asked: Vec<String> = Vec::new();
    for prefix in ["t(\"", "tv(\"", "=> \""] {
        asked.extend(literals_after(&ui, prefix));
    }
    // Labels handed to `t` by the header's tabs and the event form's fields:
    // `tab(Screen::X, "id", …)`, `field("key", "id", …)`.
    for (prefix, skip) in [("tab(Screen::", 0), ("field(\"", 1)] {
        for (i, _) in ui.match_indices(prefix) {
            let mut quoted = ui[i..].split('"').skip(1).step_by(2);
            if let Some(id) = quoted.nth(skip) {
                asked.push(id.to_owned());
            }
        }
    }
    let asked: BTreeSet<String> = asked
        .into_iter()
        .filter(|id| {
            !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
        .collect();
    assert!(asked.len() > 50, "{} ids found in the UI", asked.len());
    let unknown: Vec<_> = asked.iter().filter(|id| !english.contains(*id)).collect();
    assert!(
        unknown.is_empty(),
        "the UI asks for messages no file has: {unknown:?}"
    );
    for id in ["when-today", "when-tomorrow", "when-yesterday", "when-on"] {
        assert!(english.contains(id), "{id}");
    }

    // A message with a value is given it: every language names the same
    // values, and the UI never asks for such a message without them (`t`).
    let english_vars = variables(&locales().join("en.ftl"));
    for entry in std::fs::read_dir(locales()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "ftl") {
            continue;
        }
        for (id, vars) in variables(&path) {
            assert_eq!(
                Some(&vars),
                english_vars.get(&id),
                "{}: {id} takes other values than in English",
                path.display()
            );
        }
    }
    let plain = literals_after(&ui, "t(\"");
    let without: Vec<_> = plain
        .iter()
        .filter(|id| english_vars.get(*id).is_some_and(|v| !v.is_empty()))
        .collect();
    assert!(
        without.is_empty(),
        "the UI asks for messages that take a value without one: {without:?}"
    );
}
