//! Declared views end to end: the demo's own types, viewed as the project's
//! `demo/.pmdb/views.toml` and a user-level file declare them.

use std::path::PathBuf;
use std::process::Command;

use pmdb_test::{Crashed, Error, RemoteValue};

fn line(v: &RemoteValue) -> String {
    format!("{}: {} = {}", v.name(), v.type_name(), v.preview())
}

/// A user-level config directory holding `pmdb/views.toml`.
struct UserConfig(PathBuf);

impl UserConfig {
    fn new(tag: &str, views: &str) -> UserConfig {
        let dir = std::env::temp_dir().join(format!("pmdb-user-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("pmdb")).unwrap();
        std::fs::write(dir.join("pmdb").join("views.toml"), views).unwrap();
        UserConfig(dir)
    }
}

impl Drop for UserConfig {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const USER_VIEWS: &str = r#"
# The project's own view of Celsius wins over this one.
[[view]]
type = "Celsius"
kind = "summary"
format = "{degrees} degrees (user)"

# Only the user describes Score.
[[view]]
type = "Score"
kind = "summary"
format = "{name} has {points}"
"#;

fn declared(cwd: PathBuf, user: &UserConfig) -> Result<Crashed, Error> {
    Crashed::run(
        Command::new(env!("CARGO_BIN_EXE_demo"))
            .arg("declared")
            .current_dir(cwd)
            .env("XDG_CONFIG_HOME", &user.0)
            .env_remove("PMDB_VIEWS"),
    )
}

#[test]
fn project_then_user_views_show_the_demos_own_types() -> Result<(), Error> {
    let user = UserConfig::new("both", USER_VIEWS);
    let crash = declared(PathBuf::from(env!("CARGO_MANIFEST_DIR")), &user)?;
    let run = crash.frame("run")?;
    let got: Vec<String> = run.locals()?.iter().map(line).collect();
    assert_eq!(
        got,
        [
            "storage: Vec<f32> = [0.5, 1.5, 2.5]",
            "samples: Samples = [0.5, 1.5]",
            "scores: Scores = {\"ann\": 3, \"bob\": 5}",
            "best: &Score = \"bob\" has 5",
            "label: Label = \"front door\"",
            "outside: Celsius = -4 °C",
            "own: Vec<u16> = [7, 9]",
            "tags: Tags = {7, 9}",
            "raw: &[u8; 4] = [0, 111, 107, 255]",
            "blob: Blob = b\"\\x00ok\\xff\"",
        ]
    );
    let kids = |v: RemoteValue| -> Result<Vec<String>, Error> {
        Ok(v.all_children()?.iter().map(line).collect())
    };
    assert_eq!(
        kids(run.local("samples")?)?,
        ["[0]: f32 = 0.5", "[1]: f32 = 1.5"]
    );
    assert_eq!(
        kids(run.local("scores")?)?,
        ["\"ann\": u32 = 3", "\"bob\": u32 = 5"]
    );
    assert_eq!(kids(run.local("outside")?)?, ["degrees: i32 = -4"]);
    assert_eq!(run.local("samples")?.fetch::<Vec<f32>>()?, [0.5, 1.5]);
    assert_eq!(run.local("label")?.fetch::<String>()?, "front door");
    assert_eq!(run.local("blob")?.fetch::<Vec<u8>>()?, b"\x00ok\xff");
    assert_eq!(run.eval("scores[\"bob\"]")?.preview(), "5");
    Ok(())
}

#[test]
fn outside_the_project_only_the_users_views_apply() -> Result<(), Error> {
    let user = UserConfig::new("user-only", USER_VIEWS);
    let crash = declared(std::env::temp_dir(), &user)?;
    let run = crash.frame("run")?;
    assert_eq!(
        line(&run.local("outside")?),
        "outside: Celsius = -4 degrees (user)"
    );
    let samples = run.local("samples")?;
    assert!(
        samples.preview().starts_with("Samples { data: 0x"),
        "{}",
        samples.preview()
    );
    assert_eq!(
        line(&run.local("label")?),
        "label: Label = Label { text: \"front door\" }"
    );
    assert_eq!(line(&run.local("best")?), "best: &Score = \"bob\" has 5");
    Ok(())
}

fn with_views_file(scenario: &str, user: &UserConfig) -> Result<Crashed, Error> {
    let views = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/builtin_views.toml");
    Crashed::run(
        Command::new(env!("CARGO_BIN_EXE_demo"))
            .arg(scenario)
            .current_dir(std::env::temp_dir())
            .env("XDG_CONFIG_HOME", &user.0)
            .env("PMDB_VIEWS", views),
    )
}

#[test]
fn builtin_views_written_as_files_read_the_same() -> Result<(), Error> {
    let user = UserConfig::new("builtin", "");
    let crash = with_views_file("crates", &user)?;
    let run = crash.frame("run")?;
    assert_eq!(
        line(&run.local("order")?),
        "order: IndexMap<&str, i32> = {\"first\": 1, \"second\": 2}"
    );
    assert_eq!(
        line(&run.local("trw")?),
        "trw: RwLock<Vec<u8>> = RwLock { data: [1, 2], locked: false }"
    );
    assert_eq!(
        line(&crash.frame("main")?.local("name")?),
        "name: String = \"crates\""
    );
    drop(crash);
    let crash = with_views_file("collections", &user)?;
    let run = crash.frame("run")?;
    assert_eq!(
        line(&run.local("counted")?),
        "counted: Arc<Vec<i32>> = [1, 2]"
    );
    // The file's Cell view is `value`, not std's `Cell { value: 5 }`: the
    // file's views are the ones applied.
    assert_eq!(line(&run.local("cell")?), "cell: Cell<i32> = 5");
    Ok(())
}

#[test]
fn a_bad_view_is_said_to_the_client_and_the_good_ones_still_apply() -> Result<(), Error> {
    let user = UserConfig::new(
        "bad",
        concat!(
            "[[view]]\n",
            "type = \"Score\"\n",
            "kind = \"summary\"\n",
            "format = \"{name} has {points}\"\n",
            "\n",
            "[[view]]\n",
            "type = \"Tags\"\n",
            "kind = \"tree\"\n",
        ),
    );
    let crash = declared(PathBuf::from(env!("CARGO_MANIFEST_DIR")), &user)?;
    let file = user.0.join("pmdb").join("views.toml");
    assert_eq!(
        crash.session().hello().warnings,
        [format!(
            "view not used: {}:6: the view of Tags: unknown variant `tree`, expected one of `seq`, `set`, `text`, `bytes`, `map`, `value`, `summary`",
            file.display()
        )]
    );
    let run = crash.frame("run")?;
    // The user's good view, and the project's views, all apply.
    assert_eq!(line(&run.local("best")?), "best: &Score = \"bob\" has 5");
    assert_eq!(line(&run.local("outside")?), "outside: Celsius = -4 °C");
    assert_eq!(line(&run.local("tags")?), "tags: Tags = {7, 9}");
    Ok(())
}
