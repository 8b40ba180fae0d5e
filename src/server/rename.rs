//! `rename-command OLD NEW` applied to the dispatcher's command map: OLD disappears, NEW (if not
//! empty) runs the same command. Redis refuses unknown commands and name clashes at startup.
use crate::server::command::Command;
use std::collections::HashMap;

/// Apply the renames in order. The error is the message Redis prints for the offending line.
pub fn apply(
    commands: &mut HashMap<Vec<u8>, &'static Command, crate::util::FastBuild>,
    renames: &[(String, String)],
) -> Result<(), String> {
    for (old, new) in renames {
        let Some(cmd) = commands.remove(old.to_ascii_lowercase().as_bytes()) else {
            return Err("No such command in rename-command".into());
        };
        if new.is_empty() {
            continue;
        }
        let key = new.to_ascii_lowercase().into_bytes();
        if commands.contains_key(&key) {
            return Err("Target command name already exists".into());
        }
        commands.insert(key, cmd);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames() {
        let mut m: HashMap<Vec<u8>, &'static Command, crate::util::FastBuild> = HashMap::default();
        for c in crate::cmd::all_commands() {
            m.insert(c.name.as_bytes().to_vec(), c);
        }
        let r = vec![
            ("PING".to_string(), "pong2".to_string()),
            ("echo".to_string(), String::new()),
        ];
        apply(&mut m, &r).unwrap();
        assert!(m.contains_key(&b"pong2"[..]));
        assert!(!m.contains_key(&b"ping"[..]));
        assert!(!m.contains_key(&b"echo"[..]));
        assert!(apply(&mut m, &[("nosuch".into(), "x".into())]).is_err());
        assert!(apply(&mut m, &[("pong2".into(), "select".into())]).is_err());
    }
}
