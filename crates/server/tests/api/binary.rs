//! The real `backend-api` binary as a child process: its own data folder
//! and SQLite database, a free port, fixed secrets; killed and cleaned up
//! when dropped. For what only a whole process shows (signals, the global
//! log subscriber, trace export).

use crate::ws::{Socket, WAIT, connect_bearer};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

pub struct Binary {
    pub port: u16,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    child: Child,
    dir: PathBuf,
}

impl Binary {
    /// Starts `backend-api serve` with `vars` over a minimal environment,
    /// stderr to `stderr`, and waits until `/health/live` answers.
    pub async fn start(vars: &[(&str, &str)], stderr: Stdio) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "backend-api-binary-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_backend-api"))
            .arg("serve")
            .current_dir(&dir)
            .env_clear()
            .env("APP_ADDR", format!("127.0.0.1:{port}"))
            .env(
                "DATABASE_URL",
                format!("sqlite://{}/app.db?mode=rwc", dir.display()),
            )
            .env(
                "JWT_SECRET",
                "binary-test-jwt-secret-long-enough-0123456789",
            )
            .env(
                "SECRET_KEY",
                "binary-test-secret-key-long-enough-0123456789",
            )
            .env("RATE_LIMIT_ENABLED", "false")
            .envs(vars.iter().copied())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let binary = Self {
            port,
            base: format!("http://127.0.0.1:{port}"),
            child,
            dir,
        };
        let client = reqwest::Client::new();
        let started = tokio::time::Instant::now();
        while client
            .get(format!("{}/health/live", binary.base))
            .send()
            .await
            .is_err()
        {
            assert!(started.elapsed() < WAIT, "the server did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        binary
    }

    /// POSTs `body` as JSON to `path` (with `token` as bearer) and returns
    /// the JSON answer.
    pub async fn post_json(&self, path: &str, body: &Value, token: Option<&str>) -> Value {
        let mut request = reqwest::Client::new()
            .post(format!("{}{path}", self.base))
            .json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap().json().await.unwrap()
    }

    /// Logs in with `credentials` (`{email, password}`): the token pair.
    pub async fn login(&self, credentials: &Value) -> Value {
        self.post_json("/api/v1/auth/login", credentials, None)
            .await
    }

    /// A `/ws` connection with `Authorization: Bearer <access>`.
    pub async fn ws(&self, access: &str) -> Socket {
        connect_bearer(&format!("ws://127.0.0.1:{}/ws", self.port), access).await
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Sends SIGTERM and returns what the process wrote to a piped stderr
    /// until it exited (read meanwhile, so a full pipe never stalls it).
    pub async fn terminate_and_read_stderr(mut self) -> String {
        let stderr = self.child.stderr.take();
        let reader = std::thread::spawn(move || {
            let mut logs = String::new();
            if let Some(mut stderr) = stderr {
                std::io::Read::read_to_string(&mut stderr, &mut logs).unwrap();
            }
            logs
        });
        self.terminate();
        assert!(self.exited().await.success(), "the server exits cleanly");
        reader.join().unwrap()
    }

    /// Waits (at most [`WAIT`]) for the process to exit.
    pub async fn exited(mut self) -> ExitStatus {
        let started = tokio::time::Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(started.elapsed() < WAIT, "the server did not exit");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
