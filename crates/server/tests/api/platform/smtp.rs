//! Emails over SMTP: with `SMTP_URL` set, the outbox worker hands each
//! message to a real SMTP server (here a small one the test runs on
//! loopback), and a mailbox the server refuses parks the message.

use std::sync::{Arc, Mutex};

use comptoir_app::mail::{self, Email};
use comptoir_app::platform::outbox::{Handlers, OutboxWorker};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::harness::TestApp;

/// The messages a listener received: (recipients, data).
type Received = Arc<Mutex<Vec<(Vec<String>, String)>>>;

/// An SMTP server speaking just enough of RFC 5321 for one client: it
/// accepts every recipient but those whose address contains `rejected`.
async fn smtp_listener() -> (u16, Received) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received: Received = Arc::default();
    let store = received.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 test.local ESMTP\r\n").await;
                let mut recipients = Vec::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250-test.local\r\n250 8BITMIME\r\n",
                        "MAIL" => {
                            recipients.clear();
                            b"250 OK\r\n"
                        }
                        "RCPT" if line.contains("rejected") => b"550 5.1.1 no such mailbox\r\n",
                        "RCPT" => {
                            recipients.push(line.clone());
                            b"250 OK\r\n"
                        }
                        "DATA" => {
                            let _ = write.write_all(b"354 go ahead\r\n").await;
                            let mut data = String::new();
                            while let Ok(Some(line)) = lines.next_line().await {
                                if line == "." {
                                    break;
                                }
                                data.push_str(&line);
                                data.push('\n');
                            }
                            store.lock().unwrap().push((recipients.clone(), data));
                            b"250 queued\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        }
                        _ => b"250 OK\r\n",
                    };
                    if write.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, received)
}

#[tokio::test]
async fn emails_go_over_smtp_and_a_refused_mailbox_is_parked() {
    let (port, received) = smtp_listener().await;
    let app = TestApp::builder()
        .var("SMTP_URL", &format!("smtp://127.0.0.1:{port}"))
        .spawn()
        .await;
    let mut tx = app.db().begin().await.unwrap();
    let sent = mail::queue(
        &mut tx,
        &Email {
            to: "maelys@exemple.fr".into(),
            subject: "Commande CMD-2026-000001 confirmée".into(),
            text: "Merci pour votre commande.".into(),
        },
    )
    .await
    .unwrap();
    let refused = mail::queue(
        &mut tx,
        &Email {
            to: "rejected@exemple.fr".into(),
            subject: "Perdu".into(),
            text: "…".into(),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let worker = OutboxWorker::new(app.db().clone(), Handlers::for_app(&app.state), Default::default());
    while worker.run_once().await.unwrap() > 0 {}

    let messages = received.lock().unwrap().clone();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let (recipients, data) = &messages[0];
    assert!(recipients[0].contains("<maelys@exemple.fr>"));
    assert!(data.contains(&format!("Message-ID: <{sent}@comptoir>")), "{data}");
    assert!(
        data.to_lowercase().contains("=?utf-8?b?"),
        "the accented subject is encoded: {data}"
    );
    assert!(data.contains("Merci pour votre commande."));

    let delivered: Option<time::OffsetDateTime> =
        sqlx::query_scalar("SELECT delivered_at FROM outbox_events WHERE id = $1")
            .bind(sent)
            .fetch_one(app.db())
            .await
            .unwrap();
    assert!(delivered.is_some());
    let (parked, error): (bool, Option<String>) =
        sqlx::query_as("SELECT status = 'parked', last_error FROM outbox_events WHERE id = $1")
            .bind(refused)
            .fetch_one(app.db())
            .await
            .unwrap();
    assert!(parked, "a 550 will not change on retry: {error:?}");
}
