//! The plan: what must change on the gateway, in the order it must happen.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::kinds::validate::Seg;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Create,
    Update,
    Delete,
}

impl Op {
    /// decK's event verb.
    pub fn verb(self) -> &'static str {
        match self {
            Op::Create => "creating",
            Op::Update => "updating",
            Op::Delete => "deleting",
        }
    }
}

/// When a change runs: deletes that free a natural key first, then creates and updates
/// parent-first, then deletes child-first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    FreeKeys,
    Write,
    Delete,
}

/// One change to one entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub op: Op,
    /// The kind's registry name (`services`).
    pub kind: String,
    pub id: String,
    /// decK-style console name (`rate-limiting (route x)`), secrets already masked.
    pub name: String,
    /// The gateway's body (canonical form), for updates and deletes.
    pub old: Option<Map<String, Value>>,
    /// The body to send (canonical form, foreign keys as ids), for creates and updates.
    pub new: Option<Map<String, Value>>,
    /// Paths in `new` whose values came from the environment.
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "pointers")]
    pub secret_paths: Vec<Vec<Seg>>,
    pub phase: Phase,
    pub level: u8,
    /// An update that must be sent as a create (its parent was deleted and re-created).
    #[serde(default)]
    pub recreate: bool,
    /// Indexes (into [`Plan::changes`]) of the changes this one needs to have succeeded.
    #[serde(default)]
    pub depends_on: Vec<usize>,
}

/// What sync would do, in execution order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub warnings: Vec<String>,
    /// Values that came from the environment: masked wherever text is printed. Never saved.
    #[serde(skip)]
    pub secret_values: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub creating: usize,
    pub updating: usize,
    pub deleting: usize,
    pub total: usize,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn summary(&self) -> Summary {
        let count = |op| self.changes.iter().filter(|c| c.op == op).count();
        let (creating, updating, deleting) =
            (count(Op::Create), count(Op::Update), count(Op::Delete));
        Summary {
            creating,
            updating,
            deleting,
            total: creating + updating + deleting,
        }
    }

    /// Consecutive runs of changes that may execute concurrently: same phase and level.
    pub fn steps(&self) -> Vec<std::ops::Range<usize>> {
        let mut steps = Vec::new();
        let mut start = 0;
        for i in 1..=self.changes.len() {
            let boundary = i == self.changes.len()
                || (self.changes[i].phase, self.changes[i].level)
                    != (self.changes[start].phase, self.changes[start].level);
            if boundary {
                if start < i {
                    steps.push(start..i);
                }
                start = i;
            }
        }
        steps
    }
}

/// What happened to one change when the plan was applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Status {
    Applied,
    /// The gateway refused it; the message is the gateway's own (secrets masked).
    Failed {
        error: String,
    },
    /// Not attempted: something it depends on failed (or the atomic batch was refused).
    Skipped {
        because: String,
    },
}

/// The result of applying a plan: one status per change, in plan order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub statuses: Vec<Status>,
    /// True when the plan went as one all-or-nothing batch.
    pub atomic: bool,
}

impl Outcome {
    pub fn failed(&self) -> usize {
        self.statuses
            .iter()
            .filter(|s| matches!(s, Status::Failed { .. }))
            .count()
    }
    pub fn skipped(&self) -> usize {
        self.statuses
            .iter()
            .filter(|s| matches!(s, Status::Skipped { .. }))
            .count()
    }
    pub fn applied(&self) -> usize {
        self.statuses
            .iter()
            .filter(|s| matches!(s, Status::Applied))
            .count()
    }
    pub fn is_success(&self) -> bool {
        self.failed() == 0 && self.skipped() == 0
    }
}

/// Secret paths saved as JSON pointers (`/config/auth/header_value`).
mod pointers {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::kinds::validate::{Seg, pointer};

    pub fn serialize<S: Serializer>(paths: &[Vec<Seg>], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(paths.iter().map(|p| pointer(p)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<Seg>>, D::Error> {
        let texts = Vec::<String>::deserialize(d)?;
        Ok(texts.iter().map(|t| parse(t)).collect())
    }

    /// Object keys and array indexes cannot be told apart in a pointer; a body's paths only
    /// index arrays with digits, and no schema field name is all digits.
    pub fn parse(text: &str) -> Vec<Seg> {
        text.split('/')
            .skip(1)
            .map(|part| {
                let key = part.replace("~1", "/").replace("~0", "~");
                match key.parse::<usize>() {
                    Ok(i) => Seg::Index(i),
                    Err(_) => Seg::Key(key),
                }
            })
            .collect()
    }
}
