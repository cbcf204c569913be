//! A mock OpenAI + Anthropic server for trying the gateway's ai-proxy offline:
//!
//! ```text
//! cargo run --example mock_provider -- --listen 127.0.0.1:9999
//! ```
//!
//! It wants a key like the real APIs (OpenAI: `Authorization: Bearer …`, Anthropic:
//! `x-api-key`) and accepts any non-empty one unless `--openai-key` / `--anthropic-key` name
//! it, so a request that did not pass through the gateway gets a 401. It answers
//! "You said: <your message>", streamed when asked.

#[path = "../tests/ai_mock/mod.rs"]
mod ai_mock;

use std::time::Duration;

use ai_mock::{MockConfig, MockProvider};
use clap::Parser;

#[derive(Parser)]
#[command(about = "Mock OpenAI and Anthropic APIs for trying gwctl's ai-proxy offline")]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9999")]
    listen: String,
    /// The only OpenAI key the mock accepts (default: any non-empty key).
    #[arg(long)]
    openai_key: Option<String>,
    /// The only Anthropic key the mock accepts (default: any non-empty key).
    #[arg(long)]
    anthropic_key: Option<String>,
    /// Milliseconds between streamed events.
    #[arg(long, default_value_t = 40)]
    pace_ms: u64,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let mock = MockProvider::start(
        &args.listen,
        MockConfig {
            openai_key: args.openai_key,
            anthropic_key: args.anthropic_key,
            pace: Duration::from_millis(args.pace_ms),
        },
    )
    .await?;
    eprintln!(
        "mock provider on {} (OpenAI: /v1/chat/completions, /v1/completions; Anthropic: /v1/messages)",
        mock.url()
    );
    tokio::signal::ctrl_c().await?;
    Ok(())
}
