//! Kill -9 during a stream of writes: after a restart every acknowledged write is there, and
//! every batch is there whole or not at all.

mod admin_api_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use admin_api_support::process::serve;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_sigkill() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    let mut served = serve(&db, &[]).expect("gwctl serve starts");
    let client = reqwest::Client::new();
    let acked_single = Arc::new(Mutex::new(Vec::<String>::new()));
    let acked_batches = Arc::new(Mutex::new(Vec::<Vec<String>>::new()));
    let sent_batches = Arc::new(Mutex::new(Vec::<Vec<String>>::new()));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (client, base) = (client.clone(), served.base.clone());
        let (single, batches, sent) = (
            acked_single.clone(),
            acked_batches.clone(),
            sent_batches.clone(),
        );
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                if i % 5 == 4 {
                    let names: Vec<String> = (0..5).map(|j| format!("b{w}-{i}-{j}")).collect();
                    sent.lock().unwrap().push(names.clone());
                    let ops: Vec<Value> = names
                        .iter()
                        .map(|n| json!({"op": "put", "kind": "consumers", "key": n, "body": {"custom_id": n}}))
                        .collect();
                    match client.post(format!("{base}/batch")).json(&json!({"operations": ops})).send().await {
                        Ok(r) if r.status() == 200 => batches.lock().unwrap().push(names),
                        Ok(r) => panic!("batch answered {}", r.status()),
                        Err(_) => return,
                    }
                } else {
                    let name = format!("s{w}-{i}");
                    match client
                        .put(format!("{base}/consumers/{name}"))
                        .json(&json!({"custom_id": name, "tags": ["crash"]}))
                        .send()
                        .await
                    {
                        Ok(r) if r.status() == 200 => single.lock().unwrap().push(name),
                        Ok(r) => panic!("write answered {}", r.status()),
                        Err(_) => return,
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    served.child.kill().expect("SIGKILL");
    served.child.wait().unwrap();
    for writer in writers {
        writer.await.unwrap();
    }
    let single = acked_single.lock().unwrap().clone();
    let batches = acked_batches.lock().unwrap().clone();
    assert!(
        single.len() > 20,
        "the stream made progress before the kill ({})",
        single.len()
    );

    let restarted = serve(&db, &[]).expect("the database reopens after SIGKILL");
    let mut present = std::collections::HashSet::new();
    let mut path = "/consumers?size=1000".to_string();
    loop {
        let page: Value = restarted.get_json(&client, &path).await;
        for c in page["data"].as_array().unwrap() {
            let name = c["username"].as_str().unwrap().to_string();
            assert_eq!(
                c["custom_id"].as_str(),
                Some(name.as_str()),
                "a whole entity"
            );
            present.insert(name);
        }
        match page["next"].as_str() {
            Some(next) => path = next.to_string(),
            None => break,
        }
    }
    for name in &single {
        assert!(present.contains(name), "acknowledged write {name} was lost");
    }
    for batch in &batches {
        assert!(
            batch.iter().all(|n| present.contains(n)),
            "acknowledged batch lost"
        );
    }
    for batch in sent_batches.lock().unwrap().iter() {
        let found = batch.iter().filter(|n| present.contains(*n)).count();
        assert!(
            found == 0 || found == batch.len(),
            "a batch was half-written: {found} of {}",
            batch.len()
        );
    }
    let root: Value = restarted.get_json(&client, "/").await;
    let revision = root["gwctl"]["revision"].as_u64().unwrap();
    assert!(revision as usize >= single.len() + batches.len());
    let mut child = restarted.child;
    child.kill().unwrap();
    child.wait().unwrap();
}
