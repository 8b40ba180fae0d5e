//! Guards the module structure: the layer table in `src/lib.rs` (its `# Layers` section) is the
//! single source of truth. Every top-level module must be in it, a module may import
//! (`crate::…`) only from its own layer or lower ones, the top-level modules form no cycle, and
//! no source file grows past `MAX_LINES` lines. Plain file reads, no cargo invocation.
//!
//! The checks are plain functions over a directory so the `synthetic_*` tests below can prove,
//! on small trees in a tempdir, that each of them fails when it should.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};

/// Longest allowed source file, in lines.
const MAX_LINES: usize = 800;

/// Files allowed past `MAX_LINES`, relative to the crate root, each with the reason.
const LONG_FILE_ALLOWLIST: &[(&str, &str)] = &[(
    "src/cmd/command_docs_table.rs",
    "generated from the Redis command docs (COMMAND DOCS table)",
)];

// ---------------------------------------------------------------------------------------------
// The layer table.

/// One layer: its number and name (`layer 4  cores:  repl sentinel persist`).
#[derive(Debug, Clone, PartialEq)]
struct Layer {
    number: u32,
    name: String,
}

/// Parses the `# Layers` section of a `lib.rs` text into module → layer: the lines of its
/// first fenced block, each `layer N  name:  module module …`.
fn parse_layer_table(lib_rs: &str) -> Result<BTreeMap<String, Layer>, String> {
    let mut lines = lib_rs
        .lines()
        .enumerate()
        .map(|(i, l)| (i, l, l.trim().strip_prefix("//!").map(str::trim)));
    if !lines.any(|(_, _, doc)| doc == Some("# Layers")) {
        return Err("no `//! # Layers` heading in src/lib.rs".into());
    }
    // The fence that opens the table, in the same doc comment and section.
    loop {
        match lines.next() {
            Some((_, _, Some(doc))) if doc.starts_with("```") => break,
            Some((_, _, Some(doc))) if !doc.starts_with("# ") => continue,
            _ => return Err("no ```text block in the `# Layers` section of src/lib.rs".into()),
        }
    }
    let mut table: BTreeMap<String, Layer> = BTreeMap::new();
    let mut closed = false;
    for (i, line, doc) in lines {
        let Some(doc) = doc else {
            break; // the doc comment ended
        };
        if doc.starts_with("```") {
            closed = true;
            break;
        }
        if doc.is_empty() {
            continue;
        }
        let bad = |why: &str| format!("src/lib.rs:{}: {why}: `{line}`", i + 1);
        let rest = doc
            .strip_prefix("layer ")
            .ok_or_else(|| bad("expected `layer N  name:  modules…`"))?;
        let mut words = rest.split_whitespace();
        let number: u32 = words
            .next()
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| bad("expected a layer number after `layer`"))?;
        let name = words
            .next()
            .and_then(|n| n.strip_suffix(':'))
            .ok_or_else(|| bad("expected `name:` after the layer number"))?;
        let mut any = false;
        for module in words {
            any = true;
            if !is_ident(module) {
                return Err(bad(&format!("`{module}` is not a module name")));
            }
            let layer = Layer {
                number,
                name: name.to_string(),
            };
            if let Some(prev) = table.insert(module.to_string(), layer) {
                return Err(bad(&format!(
                    "`{module}` is already in layer {}",
                    prev.number
                )));
            }
        }
        if !any {
            return Err(bad("a layer with no module"));
        }
    }
    if !closed {
        return Err("the layer table's ``` block in src/lib.rs is not closed".into());
    }
    if table.is_empty() {
        return Err("the layer table in src/lib.rs has no `layer N name: …` line".into());
    }
    Ok(table)
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn read_table(src: &Path) -> BTreeMap<String, Layer> {
    let lib = src.join("lib.rs");
    let text = fs::read_to_string(&lib).unwrap_or_else(|e| panic!("{}: {e}", lib.display()));
    parse_layer_table(&text).unwrap_or_else(|e| panic!("cannot parse the layer table: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Modules and files.

/// The top-level modules: `src/X.rs` (but lib.rs and main.rs) and `src/X/`.
fn top_modules(src: &Path) -> BTreeSet<String> {
    let mut mods = BTreeSet::new();
    for entry in fs::read_dir(src).unwrap_or_else(|e| panic!("{}: {e}", src.display())) {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            mods.insert(name);
        } else if let Some(stem) = name.strip_suffix(".rs") {
            if stem != "lib" && stem != "main" {
                mods.insert(stem.to_string());
            }
        }
    }
    mods
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Problems between the table and the modules on disk, one line each.
fn check_table(src: &Path) -> Vec<String> {
    let table = read_table(src);
    let mods = top_modules(src);
    let mut problems = Vec::new();
    for m in &mods {
        if !table.contains_key(m) {
            problems.push(format!(
                "module `{m}` is not in the layer table of src/lib.rs"
            ));
        }
    }
    for (m, layer) in &table {
        if !mods.contains(m) {
            problems.push(format!(
                "the layer table names `{m}` (layer {} {}) but there is no src/{m}.rs or src/{m}/",
                layer.number, layer.name
            ));
        }
    }
    problems
}

// ---------------------------------------------------------------------------------------------
// Imports.

/// One `crate::<to>` path in non-test code of a file of top-level module `from`.
#[derive(Debug, Clone)]
struct Import {
    /// Path relative to the crate root, with `/` separators (`src/cmd/keys.rs`).
    file: String,
    line: usize,
    from: String,
    to: String,
}

impl Import {
    fn at(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

/// The code lines of a file that count: up to the first `#[cfg(test)]` that does not just
/// declare an out-of-line module (`#[cfg(test)] mod x;`), without `//` comment lines.
/// Returns (1-based line number, text) pairs and the names of the test-only modules declared.
fn code_lines(text: &str) -> (Vec<(usize, &str)>, Vec<String>) {
    let mut out = Vec::new();
    let mut test_mods = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((i, line)) = lines.next() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") {
            // `#[cfg(test)]\nmod sim_tests;` only declares a test file: skip it and go on.
            let next = lines.peek().map(|(_, l)| l.trim()).unwrap_or("");
            let decl = next
                .strip_prefix("pub(crate) ")
                .or_else(|| next.strip_prefix("pub "))
                .unwrap_or(next);
            match decl.strip_prefix("mod ").and_then(|d| d.strip_suffix(';')) {
                Some(name) if is_ident(name.trim()) => {
                    test_mods.push(name.trim().to_string());
                    lines.next();
                    continue;
                }
                _ => break, // unit tests sit at the end of a file
            }
        }
        if t.starts_with("//") {
            continue;
        }
        out.push((i + 1, line));
    }
    (out, test_mods)
}

/// The files a `mod name;` in `file` may refer to.
fn child_module_files(file: &Path, name: &str) -> [PathBuf; 2] {
    let stem = file.file_stem().unwrap().to_string_lossy();
    let dir = if stem == "mod" || stem == "lib" || stem == "main" {
        file.parent().unwrap().to_path_buf()
    } else {
        file.with_extension("")
    };
    [
        dir.join(format!("{name}.rs")),
        dir.join(name).join("mod.rs"),
    ]
}

/// The top-level module names that `crate::` paths in `code` start with, with the byte offset
/// of each name. Handles `crate::a::b`, `crate::{a, b::c}` and nesting inside the group.
fn crate_paths(code: &str) -> Vec<(usize, String)> {
    let bytes = code.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let ident_at = |pos: usize| {
        let end = (pos..bytes.len())
            .find(|&k| !is_word(bytes[k]))
            .unwrap_or(bytes.len());
        &code[pos..end]
    };
    let skip_ws = |mut pos: usize| {
        while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
            pos += 1;
        }
        pos
    };
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(k) = code[from..].find("crate::") {
        let start = from + k;
        from = start + "crate::".len();
        if start > 0 && is_word(bytes[start - 1]) {
            continue; // `mycrate::`
        }
        let pos = skip_ws(from);
        if bytes.get(pos) != Some(&b'{') {
            let name = ident_at(pos);
            if !name.is_empty() {
                out.push((pos, name.to_string()));
            }
            continue;
        }
        // A group: the names that start an item at depth 1.
        let mut depth = 0usize;
        let mut item_start = true;
        let mut pos = pos;
        while pos < bytes.len() {
            match bytes[pos] {
                b'{' => {
                    depth += 1;
                    item_start = true;
                }
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                b',' => item_start = true,
                b if is_word(b) => {
                    let name = ident_at(pos);
                    if depth == 1 && item_start {
                        out.push((pos, name.to_string()));
                    }
                    item_start = false;
                    pos += name.len();
                    continue;
                }
                b if b.is_ascii_whitespace() => {}
                _ => item_start = false,
            }
            pos += 1;
        }
        from = pos.max(from);
    }
    out
}

/// Every `crate::<top-level module>` import in the non-test code under `src`, other than a
/// module's imports of itself. Files whose name contains `test`, and files declared as
/// `#[cfg(test)] mod x;`, are test code.
fn scan_imports(src: &Path) -> Vec<Import> {
    let root = src.parent().unwrap_or(Path::new(""));
    let mods = top_modules(src);
    let files = rust_files(src);
    let mut texts = BTreeMap::new();
    let mut test_files = BTreeSet::new();
    for f in &files {
        let text = fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        for m in code_lines(&text).1 {
            test_files.extend(child_module_files(f, &m));
        }
        texts.insert(f.clone(), text);
    }
    let mut out = Vec::new();
    for (f, text) in &texts {
        let name = f.file_name().unwrap().to_string_lossy();
        if name.contains("test") || test_files.contains(f) {
            continue;
        }
        let rel = f.strip_prefix(src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let from = first.strip_suffix(".rs").unwrap_or(&first).to_string();
        if !mods.contains(&from) {
            continue; // lib.rs, main.rs
        }
        let display = f
            .strip_prefix(root)
            .unwrap_or(f)
            .to_string_lossy()
            .replace('\\', "/");
        // Join the code lines so a `use crate::{…}` may span several; map offsets back to lines.
        let (lines, _) = code_lines(text);
        let mut joined = String::new();
        let mut starts = Vec::new();
        for (_, l) in &lines {
            starts.push(joined.len());
            joined.push_str(l);
            joined.push('\n');
        }
        for (offset, to) in crate_paths(&joined) {
            if to == from || !mods.contains(&to) {
                continue;
            }
            let idx = starts.partition_point(|&s| s <= offset) - 1;
            out.push(Import {
                file: display.clone(),
                line: lines[idx].0,
                from: from.clone(),
                to,
            });
        }
    }
    out
}

/// Imports that point to a higher layer, one line each.
fn check_upward_imports(src: &Path) -> Vec<String> {
    let table = read_table(src);
    let mut out = Vec::new();
    for imp in scan_imports(src) {
        let (Some(a), Some(b)) = (table.get(&imp.from), table.get(&imp.to)) else {
            continue; // a module missing from the table: `check_table` reports it
        };
        if b.number > a.number {
            out.push(format!(
                "{}: {} (layer {} {}) imports {} (layer {} {})",
                imp.at(),
                imp.from,
                a.number,
                a.name,
                imp.to,
                b.number,
                b.name
            ));
        }
    }
    out
}

/// Cycles of the top-level module graph, one paragraph each: the modules of the strongly
/// connected component, a shortest cycle through its first module, and every arrow inside it
/// with its import count and one `file:line`.
fn check_cycles(src: &Path) -> Vec<String> {
    let mods: Vec<String> = top_modules(src).into_iter().collect();
    // arrow (from, to) → imports
    let mut arrows: BTreeMap<(String, String), Vec<Import>> = BTreeMap::new();
    for imp in scan_imports(src) {
        arrows
            .entry((imp.from.clone(), imp.to.clone()))
            .or_default()
            .push(imp);
    }
    let idx: BTreeMap<&str, usize> = mods
        .iter()
        .enumerate()
        .map(|(i, m)| (m.as_str(), i))
        .collect();
    let mut succ = vec![Vec::new(); mods.len()];
    for (a, b) in arrows.keys() {
        succ[idx[a.as_str()]].push(idx[b.as_str()]);
    }
    let mut out = Vec::new();
    for comp in sccs(&succ) {
        if comp.len() < 2 {
            continue;
        }
        let names: Vec<&str> = comp.iter().map(|&i| mods[i].as_str()).collect();
        let mut s = format!("cycle of {} modules: {}\n", comp.len(), names.join(" "));
        let cycle = shortest_cycle(&succ, comp[0], &comp);
        let path: Vec<&str> = cycle.iter().map(|&i| mods[i].as_str()).collect();
        s += &format!("  e.g. {} -> {}\n", path.join(" -> "), path[0]);
        s += "  arrows inside it:\n";
        for ((a, b), imps) in &arrows {
            if names.contains(&a.as_str()) && names.contains(&b.as_str()) {
                s += &format!(
                    "    {a} -> {b} ({} imports, e.g. {})\n",
                    imps.len(),
                    imps[0].at()
                );
            }
        }
        out.push(s);
    }
    out
}

/// Strongly connected components (Tarjan, iterative), each sorted, in order of their first
/// node.
fn sccs(succ: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = succ.len();
    let (mut index, mut low) = (vec![usize::MAX; n], vec![0; n]);
    let (mut on, mut stack, mut comps, mut next) = (vec![false; n], Vec::new(), Vec::new(), 0);
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut work = vec![(root, 0usize)];
        while let Some(&mut (v, ref mut child)) = work.last_mut() {
            if *child == 0 && index[v] == usize::MAX {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on[v] = true;
            }
            if let Some(&w) = succ[v].get(*child) {
                *child += 1;
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut comp = Vec::new();
                loop {
                    let w = stack.pop().unwrap();
                    on[w] = false;
                    comp.push(w);
                    if w == v {
                        break;
                    }
                }
                comp.sort();
                comps.push(comp);
            }
        }
    }
    comps.sort();
    comps
}

/// A shortest cycle through `start` inside `comp` (breadth-first), as its nodes in order.
fn shortest_cycle(succ: &[Vec<usize>], start: usize, comp: &[usize]) -> Vec<usize> {
    let mut prev = vec![usize::MAX; succ.len()];
    let mut queue = VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for &w in &succ[v] {
            if w == start {
                let mut path = vec![v];
                while *path.last().unwrap() != start {
                    path.push(prev[*path.last().unwrap()]);
                }
                path.reverse();
                return path;
            }
            if comp.contains(&w) && prev[w] == usize::MAX {
                prev[w] = v;
                queue.push_back(w);
            }
        }
    }
    vec![start]
}

// ---------------------------------------------------------------------------------------------
// File length.

/// Files under `root`/`dirs` longer than `max` lines and not allowlisted, and allowlist entries
/// that no longer exist.
fn check_long_files(root: &Path, dirs: &[&str], max: usize, allow: &[(&str, &str)]) -> Vec<String> {
    let mut out = Vec::new();
    for dir in dirs {
        for f in rust_files(&root.join(dir)) {
            let rel = f
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let n = fs::read_to_string(&f).map_or(0, |t| t.lines().count());
            if n > max && !allow.iter().any(|(p, _)| *p == rel) {
                out.push(format!("{rel}: {n} lines (over {max})"));
            }
        }
    }
    for (p, why) in allow {
        if !root.join(p).is_file() {
            out.push(format!("{p}: allowlisted ({why}) but missing"));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The checks on the real tree.

fn crate_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn fail_with(what: &str, problems: &[String]) {
    if !problems.is_empty() {
        panic!(
            "{what} ({}):\n{}",
            problems.len(),
            problems.join("\n").trim_end()
        );
    }
}

#[test]
fn layer_table_names_every_module() {
    fail_with(
        "the layer table of src/lib.rs and the modules differ",
        &check_table(&crate_src()),
    );
}

#[test]
fn no_import_points_up() {
    fail_with(
        "imports of a higher layer (see `# Layers` in src/lib.rs)",
        &check_upward_imports(&crate_src()),
    );
}

#[test]
fn no_module_cycle() {
    fail_with(
        "cycles among the top-level modules",
        &check_cycles(&crate_src()),
    );
}

#[test]
fn no_source_file_is_too_long() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    fail_with(
        &format!("source files over {MAX_LINES} lines (split them, or allowlist generated ones)"),
        &check_long_files(root, &["src", "tests"], MAX_LINES, LONG_FILE_ALLOWLIST),
    );
}

// ---------------------------------------------------------------------------------------------
// The checks can fail: synthetic trees.

const LIB: &str = "//! A crate.\n//!\n//! # Layers\n//! A module imports from its own\n//! layer or lower ones.\n//! ```text\n\
//! layer 0  leaves:  util\n//! layer 1  base:    db store\n//! layer 2  top:     server\n\
//! ```\n//! - leaves: helpers.\npub mod db;\n";

/// A crate in a tempdir: `files` are (path under src/, text); returns the dir and its src/.
fn tree(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    for (path, text) in files {
        let p = src.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
    (dir, src)
}

fn base_tree(extra: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let mut files = vec![
        ("lib.rs", LIB),
        ("util.rs", "pub fn f() {}\n"),
        ("db/mod.rs", "pub mod keys;\n"),
        ("db/keys.rs", "use crate::util::f;\n"),
        ("store.rs", "use crate::db;\n"),
        ("server.rs", "use crate::db::keys;\nuse crate::util;\n"),
    ];
    files.extend_from_slice(extra);
    tree(&files)
}

#[test]
fn synthetic_clean_tree_passes() {
    let (_d, src) = base_tree(&[]);
    assert_eq!(check_table(&src), Vec::<String>::new());
    assert_eq!(check_upward_imports(&src), Vec::<String>::new());
    assert_eq!(check_cycles(&src), Vec::<String>::new());
}

#[test]
fn synthetic_table_parse_errors_are_clear() {
    assert!(parse_layer_table("//! no table\n")
        .unwrap_err()
        .contains("# Layers"));
    let e = parse_layer_table("//! # Layers\n//! no table\n").unwrap_err();
    assert!(e.contains("no ```text block"), "{e}");
    let e =
        parse_layer_table("//! # Layers\n//! ```text\n//! layer x  a: b\n//! ```\n").unwrap_err();
    assert!(e.contains("src/lib.rs:3: expected a layer number"), "{e}");
    let e = parse_layer_table("//! # Layers\n//! ```\n//! layer 0 a: b\n").unwrap_err();
    assert!(e.contains("not closed"), "{e}");
    let e =
        parse_layer_table("//! # Layers\n//! ```\n//! layer 0 a: b\n//! layer 1 c: b\n//! ```\n")
            .unwrap_err();
    assert!(e.contains("already in layer 0"), "{e}");
    let t = parse_layer_table(LIB).unwrap();
    assert_eq!(t["store"].number, 1);
    assert_eq!(t["server"].name, "top");
}

#[test]
fn synthetic_table_mismatch_is_reported() {
    let (_d, src) = base_tree(&[
        ("extra.rs", ""),
        ("lib.rs", &LIB.replace(" util\n", " util ghost\n")),
    ]);
    let p = check_table(&src);
    assert!(
        p.iter()
            .any(|l| l.contains("`extra` is not in the layer table")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|l| l.contains("names `ghost` (layer 0 leaves)")),
        "{p:?}"
    );
}

#[test]
fn synthetic_upward_import_is_reported_with_file_and_line() {
    let (_d, src) = base_tree(&[(
        "db/keys.rs",
        "use crate::util::f;\n\nfn g() {\n    crate::server::run();\n}\n",
    )]);
    assert_eq!(
        check_upward_imports(&src),
        ["src/db/keys.rs:4: db (layer 1 base) imports server (layer 2 top)"]
    );
}

#[test]
fn synthetic_grouped_use_counts_every_name() {
    let (_d, src) = base_tree(&[(
        "util.rs",
        "use crate::{db::keys, server};\nuse crate::{\n    self,\n    store::{a, b},\n};\n",
    )]);
    assert_eq!(
        check_upward_imports(&src),
        [
            "src/util.rs:1: util (layer 0 leaves) imports db (layer 1 base)",
            "src/util.rs:1: util (layer 0 leaves) imports server (layer 2 top)",
            "src/util.rs:4: util (layer 0 leaves) imports store (layer 1 base)",
        ]
    );
}

#[test]
fn synthetic_same_layer_cycle_is_reported() {
    // db and store are both layer 1: no upward import, but a cycle.
    let (_d, src) = base_tree(&[("db/keys.rs", "use crate::util::f;\nuse crate::store::S;\n")]);
    assert_eq!(check_upward_imports(&src), Vec::<String>::new());
    let c = check_cycles(&src);
    assert_eq!(c.len(), 1, "{c:?}");
    assert!(
        c[0].starts_with("cycle of 2 modules: db store\n"),
        "{}",
        c[0]
    );
    assert!(c[0].contains("e.g. db -> store -> db"), "{}", c[0]);
    assert!(
        c[0].contains("db -> store (1 imports, e.g. src/db/keys.rs:2)"),
        "{}",
        c[0]
    );
    assert!(
        c[0].contains("store -> db (1 imports, e.g. src/store.rs:1)"),
        "{}",
        c[0]
    );
}

#[test]
fn synthetic_test_code_is_ignored() {
    let (_d, src) = base_tree(&[
        // Unit tests at the end of a file.
        (
            "util.rs",
            "pub fn f() {}\n#[cfg(test)]\nmod tests {\n    use crate::server;\n}\n",
        ),
        // Comments, doc comments, test files, test-only module declarations.
        (
            "db/mod.rs",
            "//! see crate::server\npub mod keys;\n// crate::server::x\n/// crate::server\n\
             #[cfg(test)]\nmod helpers;\nfn g() { crate::util::f() }\n",
        ),
        ("db/helpers.rs", "use crate::server;\n"),
        ("db/keys_tests.rs", "use crate::server;\n"),
    ]);
    assert_eq!(check_upward_imports(&src), Vec::<String>::new());
    // ... but the code after a `#[cfg(test)] mod x;` declaration still counts.
    let (_d, src) = base_tree(&[(
        "db/mod.rs",
        "#[cfg(test)]\nmod helpers;\nuse crate::server;\n",
    )]);
    assert_eq!(
        check_upward_imports(&src),
        ["src/db/mod.rs:3: db (layer 1 base) imports server (layer 2 top)"]
    );
}

#[test]
fn synthetic_long_file_is_reported() {
    let (d, _src) = base_tree(&[
        ("big.rs", &"//\n".repeat(11)),
        ("gen.rs", &"//\n".repeat(20)),
    ]);
    let allow = [
        ("src/gen.rs", "generated"),
        ("src/lib.rs", "the layer table"),
    ];
    let p = check_long_files(d.path(), &["src"], 10, &allow);
    assert_eq!(p, ["src/big.rs: 11 lines (over 10)"]);
    let p = check_long_files(d.path(), &["src"], 100, &[("src/gone.rs", "generated")]);
    assert_eq!(p, ["src/gone.rs: allowlisted (generated) but missing"]);
}
