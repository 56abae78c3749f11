//! The sentence-embedding model: all-MiniLM-L6-v2 (BERT, 6 layers, 384
//! dimensions, mean pooling; Apache-2.0), run on the server's own CPU with
//! candle, so nothing a person wrote ever leaves the server.
//!
//! Two files are read from the model directory at start:
//! `model.safetensors` (the weights) and `tokenizer.json`. The architecture
//! is fixed here ([`ARCHITECTURE`]): a directory holding another model's
//! weights fails to load instead of giving wrong vectors. `scripts/setup.sh`
//! fetches the files into [`default_dir`].
//!
//! Inference runs on thread pools of its own, of a bounded size, so
//! embedding never takes every core from the requests being answered: the
//! background work (embedding every idea for the analyses) on
//! `threads` threads, and what a person is waiting for (the safeguarding
//! check of a submission arriving) on one more, so it never queues behind a
//! background batch. The background threads run only on cores nothing else
//! wants ([`run_only_when_idle`]), and background work can step aside
//! between two of the model's layers ([`Model::embed_in_gaps`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertEncoder, BertModel, Config as BertConfig};
use tokenizers::{PaddingParams, Tokenizer, TruncationParams};

use crate::limits::{MODEL_BATCH_TEXTS, MODEL_MAX_TOKENS};

/// The model's name, stored beside every vector it made, so a vector of
/// another model is never compared with one of this.
pub const NAME: &str = "all-MiniLM-L6-v2";

/// The length of every embedding.
pub const DIMENSIONS: usize = 384;

/// The weights' file name in the model directory.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// The tokenizer's file name in the model directory.
pub const TOKENIZER_FILE: &str = "tokenizer.json";

/// all-MiniLM-L6-v2's `config.json`, as published with the weights.
const ARCHITECTURE: &str = r#"{
  "vocab_size": 30522, "hidden_size": 384, "num_hidden_layers": 6,
  "num_attention_heads": 12, "intermediate_size": 1536, "hidden_act": "gelu",
  "hidden_dropout_prob": 0.1, "max_position_embeddings": 512,
  "type_vocab_size": 2, "initializer_range": 0.02, "layer_norm_eps": 1e-12,
  "pad_token_id": 0, "position_embedding_type": "absolute",
  "classifier_dropout": null, "model_type": "bert"
}"#;

/// Where `scripts/setup.sh` puts the model's files, and where the server
/// looks when the configuration names no `model_dir`: the user's cache
/// (`$XDG_CACHE_HOME`, else `~/.cache`), outside any repository.
pub fn default_dir() -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"));
    cache.join("cfi-server").join("all-minilm-l6-v2")
}

/// Why the model could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("the model file {0} is missing (run scripts/setup.sh to fetch it)")]
    Missing(PathBuf),
    #[error("the model file {path} could not be read: {reason}")]
    Io { path: PathBuf, reason: String },
    #[error("the tokenizer in {path} could not be read: {reason}")]
    Tokenizer { path: PathBuf, reason: String },
    #[error("the model could not run: {0}")]
    Candle(#[from] candle_core::Error),
    #[error("the model's thread pool could not start: {0}")]
    Threads(#[from] rayon::ThreadPoolBuildError),
    #[error("a text could not be tokenized: {0}")]
    Tokenize(String),
}

/// The loaded model. Cloning is cheap; every clone shares the weights and
/// the thread pool.
#[derive(Clone)]
pub struct Model {
    inner: Arc<Inner>,
}

struct Inner {
    /// The model's embeddings (word, position, type; normalised) alone:
    /// BERT loaded with no layers.
    embeddings: BertModel,
    /// Its six layers, each loaded alone, so a run can stop between two.
    layers: Vec<BertEncoder>,
    tokenizer: Tokenizer,
    background: rayon::ThreadPool,
    urgent: rayon::ThreadPool,
    dir: PathBuf,
}

/// Which of the model's thread pools runs a piece of work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// A person is waiting for it (a submission being checked).
    Urgent,
    /// Nobody waits (the embeddings worker, a bench).
    Background,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("dir", &self.inner.dir)
            .finish_non_exhaustive()
    }
}

impl Model {
    /// Loads the weights and the tokenizer from `dir`, to run on `threads`
    /// threads (at least one).
    /// [`Model::load`], once per directory and thread count in a process:
    /// several servers in one process (tests, replicas in a bench) share
    /// the weights, the thread pools and what is derived from the model.
    pub fn shared(dir: &Path, threads: usize) -> Result<Model, ModelError> {
        type Loaded = Vec<((PathBuf, usize), Model)>;
        static LOADED: std::sync::Mutex<Loaded> = std::sync::Mutex::new(Vec::new());
        let mut loaded = LOADED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let key = (dir.to_owned(), threads);
        if let Some((_, model)) = loaded.iter().find(|(k, _)| *k == key) {
            return Ok(model.clone());
        }
        let model = Self::load(dir, threads)?;
        loaded.push((key, model.clone()));
        Ok(model)
    }

    pub fn load(dir: &Path, threads: usize) -> Result<Model, ModelError> {
        let weights = dir.join(WEIGHTS_FILE);
        let tokenizer_path = dir.join(TOKENIZER_FILE);
        for file in [&weights, &tokenizer_path] {
            if !file.is_file() {
                return Err(ModelError::Missing(file.clone()));
            }
        }
        let mut tokenizer =
            Tokenizer::from_file(&tokenizer_path).map_err(|e| ModelError::Tokenizer {
                path: tokenizer_path.clone(),
                reason: e.to_string(),
            })?;
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MODEL_MAX_TOKENS,
                ..TruncationParams::default()
            }))
            .map_err(|e| ModelError::Tokenizer {
                path: tokenizer_path.clone(),
                reason: e.to_string(),
            })?;
        tokenizer.with_padding(Some(PaddingParams::default()));
        let config: BertConfig =
            serde_json::from_str(ARCHITECTURE).expect("the architecture above is valid JSON");
        let device = Device::Cpu;
        // Read into memory (91 MB, once) rather than mapped: the crate
        // forbids unsafe code, and a mapped file replaced under a running
        // server is a hazard it need not take.
        let bytes = std::fs::read(&weights).map_err(|e| ModelError::Io {
            path: weights.clone(),
            reason: e.to_string(),
        })?;
        let vb = VarBuilder::from_buffered_safetensors(bytes, DType::F32, &device)?;
        let (embeddings, layers) = load_in_layers(&vb, &config)?;
        let background = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .thread_name(|i| format!("model-{i}"))
            .start_handler(|_| run_only_when_idle())
            .build()?;
        let urgent = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .thread_name(|_| "model-urgent".to_owned())
            .build()?;
        Ok(Model {
            inner: Arc::new(Inner {
                embeddings,
                layers,
                tokenizer,
                background,
                urgent,
                dir: dir.to_owned(),
            }),
        })
    }

    /// The directory the model was loaded from.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// The unit-length embedding of each text, in order. Blocking: call it
    /// from a blocking task (see [`Model::embed_blocking`]). Texts are run
    /// [`MODEL_BATCH_TEXTS`] at a time; a longer text is cut to its first
    /// [`MODEL_MAX_TOKENS`] tokens, as the model was trained.
    pub fn embed(&self, texts: &[&str], priority: Priority) -> Result<Vec<Vec<f32>>, ModelError> {
        self.embed_with(texts, priority, &|| {})
    }

    /// [`Model::embed`], calling `before_each_layer` before each of the
    /// model's layers in every batch.
    fn embed_with(
        &self,
        texts: &[&str],
        priority: Priority,
        before_each_layer: &(dyn Fn() + Sync),
    ) -> Result<Vec<Vec<f32>>, ModelError> {
        let pool = match priority {
            Priority::Urgent => &self.inner.urgent,
            Priority::Background => &self.inner.background,
        };
        let mut out = Vec::with_capacity(texts.len());
        for batch in texts.chunks(MODEL_BATCH_TEXTS) {
            out.extend(self.embed_batch(pool, batch, before_each_layer)?);
        }
        Ok(out)
    }

    /// [`Model::embed`] on the background threads, for work nobody waits
    /// for, calling `before_each_layer` before each of the model's layers
    /// (a few ms each): it may block until the cores are wanted by nothing
    /// else, so a submission arriving mid-text shares them with at most one
    /// layer instead of the whole text.
    pub async fn embed_in_gaps(
        &self,
        texts: Vec<String>,
        before_each_layer: impl Fn() + Send + Sync + 'static,
    ) -> Result<Vec<Vec<f32>>, ModelError> {
        self.off_thread(texts, Priority::Background, before_each_layer)
            .await
    }

    /// [`Model::embed`] on tokio's blocking threads, for async callers.
    pub async fn embed_blocking(
        &self,
        texts: Vec<String>,
        priority: Priority,
    ) -> Result<Vec<Vec<f32>>, ModelError> {
        self.off_thread(texts, priority, || {}).await
    }

    /// [`Model::embed_with`] on tokio's blocking threads. Dropping the
    /// future leaves the batch running to its end, harmlessly: it writes
    /// nothing.
    async fn off_thread(
        &self,
        texts: Vec<String>,
        priority: Priority,
        before_each_layer: impl Fn() + Send + Sync + 'static,
    ) -> Result<Vec<Vec<f32>>, ModelError> {
        let model = self.clone();
        tokio::task::spawn_blocking(move || {
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            model.embed_with(&refs, priority, &before_each_layer)
        })
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
    }

    /// One batch, each step on `pool`; `before_each_layer` runs on the
    /// calling thread between two steps, so a wait there holds no thread
    /// of the pool: other work on it goes on meanwhile (the safeguarding
    /// net's first reading of its examples runs on the background pool,
    /// and a submission may be waiting for it).
    fn embed_batch(
        &self,
        pool: &rayon::ThreadPool,
        texts: &[&str],
        before_each_layer: &(dyn Fn() + Sync),
    ) -> Result<Vec<Vec<f32>>, ModelError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let (mut hidden, mask, additive) = pool.install(|| {
            let (ids, type_ids, mask) = self.inputs(texts)?;
            let hidden = self
                .inner
                .embeddings
                .forward(&ids, &type_ids, Some(&mask))?;
            let additive = additive_mask(&mask)?;
            Ok::<_, ModelError>((hidden, mask, additive))
        })?;
        for layer in &self.inner.layers {
            before_each_layer();
            hidden = pool.install(|| layer.forward(&hidden, &additive))?;
        }
        // Mean pooling over the real tokens only (the padding is masked
        // out), then unit length, as sentence-transformers does.
        pool.install(|| {
            let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
            let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
            let counts = mask.sum(1)?.clamp(1e-9, f64::MAX)?;
            let mean = summed.broadcast_div(&counts)?;
            let norms = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
            Ok(mean.broadcast_div(&norms)?.to_vec2::<f32>()?)
        })
    }

    /// The texts as the model takes them: token ids, token types and the
    /// attention mask, one row per text, padded to the longest.
    fn inputs(&self, texts: &[&str]) -> Result<(Tensor, Tensor, Tensor), ModelError> {
        let encodings = self
            .inner
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| ModelError::Tokenize(e.to_string()))?;
        let device = &self.inner.embeddings.device;
        let rows = |f: fn(&tokenizers::Encoding) -> &[u32]| -> Result<Tensor, ModelError> {
            let rows = encodings
                .iter()
                .map(|e| Tensor::new(f(e), device))
                .collect::<candle_core::Result<Vec<_>>>()?;
            Ok(Tensor::stack(&rows, 0)?)
        };
        Ok((
            rows(|e| e.get_ids())?,
            rows(|e| e.get_type_ids())?,
            rows(|e| e.get_attention_mask())?,
        ))
    }
}

/// BERT as its embeddings and its layers one by one: the same weights and
/// the same arithmetic as [`BertModel::forward`] (a test compares them),
/// with a place between two layers for background work to step aside.
/// candle's `BertModel` runs all six layers in one call; its encoder loads
/// layers from `encoder.layer.{i}`, so each layer is loaded as a one-layer
/// encoder reading layer `i`'s weights under the name of layer 0.
fn load_in_layers(
    vb: &VarBuilder<'_>,
    config: &BertConfig,
) -> Result<(BertModel, Vec<BertEncoder>), ModelError> {
    let embeddings = BertModel::load(
        vb.clone(),
        &BertConfig {
            num_hidden_layers: 0,
            ..config.clone()
        },
    )?;
    let one_layer = BertConfig {
        num_hidden_layers: 1,
        ..config.clone()
    };
    let layers = (0..config.num_hidden_layers)
        .map(|i| {
            let ours = format!("encoder.layer.{i}.");
            BertEncoder::load(
                vb.clone()
                    .rename_f(move |name| name.replacen("encoder.layer.0.", &ours, 1))
                    .pp("encoder"),
                &one_layer,
            )
        })
        .collect::<candle_core::Result<Vec<_>>>()?;
    Ok((embeddings, layers))
}

/// The attention mask as BERT's layers take it: 0 for a real token, the
/// lowest `f32` for padding, shaped to add to every head's scores (what
/// `BertModel::forward` computes before its layers).
fn additive_mask(mask: &Tensor) -> Result<Tensor, ModelError> {
    let mask = mask.unsqueeze(1)?.unsqueeze(1)?.to_dtype(DType::F32)?;
    Ok((mask.ones_like()? - &mask)?.affine(f64::from(f32::MIN), 0.0)?)
}

/// Puts the calling thread (a background model thread) under Linux's
/// SCHED_IDLE: it runs only on a core nothing else wants, so a submission
/// arriving takes the core at once instead of sharing it with a batch of
/// ideas being read (sharing doubled the submissions' p99). Where the
/// policy cannot be set, the thread runs as before and the log says so.
fn run_only_when_idle() {
    use thread_priority::{
        NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy,
        set_thread_priority_and_policy, thread_native_id,
    };
    let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
    if let Err(error) =
        set_thread_priority_and_policy(thread_native_id(), ThreadPriority::Min, idle)
        && thread_priority::thread_schedule_policy().ok() != Some(idle)
    {
        tracing::warn!(
            ?error,
            "a background model thread could not be given the idle policy: it shares the cores with submissions"
        );
    }
}

/// The cosine similarity of two unit-length embeddings.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// An embedding as bytes for the database (little-endian `f32`s), and back.
pub fn to_bytes(embedding: &[f32]) -> Vec<u8> {
    embedding.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// The embedding stored by [`to_bytes`]; `None` if the bytes are not one.
pub fn from_bytes(bytes: &[u8]) -> Option<Vec<f32>> {
    if bytes.len() != DIMENSIONS * 4 {
        return None;
    }
    Some(
        bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The model set up for tests: `CFI_MODEL_DIR`, else the default cache.
    /// The test command fetches it (scripts/setup.sh), so it is an error,
    /// not a skip, when it is missing.
    fn model() -> Model {
        let dir = std::env::var_os("CFI_MODEL_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(default_dir);
        Model::load(&dir, 1).expect("the model is set up (scripts/setup.sh)")
    }

    #[test]
    fn embeddings_have_unit_length_and_meaning() {
        let m = model();
        let v = m
            .embed(
                &[
                    "My mum's boyfriend hurts me when she is at work.",
                    "My stepdad hits me when my mum is out.",
                    "Councils should publish their local offer for care leavers.",
                ],
                Priority::Urgent,
            )
            .expect("present");
        assert_eq!(v.len(), 3);
        for e in &v {
            assert_eq!(e.len(), DIMENSIONS);
            assert!((cosine(e, e) - 1.0).abs() < 1e-4);
        }
        assert!(
            cosine(&v[0], &v[1]) > cosine(&v[0], &v[2]) + 0.2,
            "{} {}",
            cosine(&v[0], &v[1]),
            cosine(&v[0], &v[2])
        );
    }

    #[test]
    fn a_text_embeds_the_same_alone_and_in_a_padded_batch() {
        let m = model();
        let alone = m
            .embed(
                &["Pay kinship carers the same as foster carers."],
                Priority::Urgent,
            )
            .expect("present");
        let batch = m
            .embed(&[
                "Pay kinship carers the same as foster carers.",
                "A much longer idea that needs many more tokens than the first one does, so the first is padded in the batch.",
            ], Priority::Background)
            .expect("present");
        assert!(cosine(&alone[0], &batch[0]) > 0.9999);
    }

    #[test]
    fn layer_by_layer_gives_what_the_whole_model_gives() {
        let m = model();
        let dir = m.dir().to_owned();
        let bytes = std::fs::read(dir.join(WEIGHTS_FILE)).expect("present");
        let vb = VarBuilder::from_buffered_safetensors(bytes, DType::F32, &Device::Cpu)
            .expect("weights");
        let config: BertConfig = serde_json::from_str(ARCHITECTURE).expect("valid");
        let whole = BertModel::load(vb, &config).expect("loads");
        let texts = [
            "I don't want to be alive anymore.",
            "Pay kinship carers the same as foster carers, and give them the same training and support.",
        ];
        let (ids, types, mask) = m.inputs(&texts).expect("tokens");
        let expected = whole.forward(&ids, &types, Some(&mask)).expect("runs");
        let mut ours = m
            .inner
            .embeddings
            .forward(&ids, &types, Some(&mask))
            .expect("runs");
        let additive = additive_mask(&mask).expect("mask");
        for layer in &m.inner.layers {
            ours = layer.forward(&ours, &additive).expect("runs");
        }
        let largest = (expected - ours)
            .expect("same shape")
            .abs()
            .expect("abs")
            .flatten_all()
            .expect("flat")
            .max(0)
            .expect("max")
            .to_scalar::<f32>()
            .expect("scalar");
        assert!(largest < 1e-5, "largest difference {largest}");
    }

    #[tokio::test]
    async fn background_work_can_step_aside_before_each_layer() {
        let m = model();
        let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = calls.clone();
        let in_gaps = m
            .embed_in_gaps(
                vec!["Pay kinship carers the same as foster carers.".to_owned()],
                move || {
                    counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                },
            )
            .await
            .expect("runs");
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 6);
        let at_once = m
            .embed(
                &["Pay kinship carers the same as foster carers."],
                Priority::Urgent,
            )
            .expect("runs");
        assert!(cosine(&in_gaps[0], &at_once[0]) > 0.99999);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_run_waiting_in_a_gap_holds_no_thread_of_the_pool() {
        use std::sync::atomic::{AtomicBool, Ordering};
        // One background thread: a wait that held it would stop the rest.
        let m = model();
        let (entered, in_gap) = tokio::sync::oneshot::channel();
        let entered = std::sync::Mutex::new(Some(entered));
        let release = Arc::new(AtomicBool::new(false));
        let released = release.clone();
        let waiting = m.clone();
        let waiting = tokio::spawn(async move {
            waiting
                .embed_in_gaps(vec!["Pay kinship carers.".to_owned()], move || {
                    if let Some(tx) = entered.lock().expect("lock").take() {
                        let _ = tx.send(());
                    }
                    while !released.load(Ordering::SeqCst) {
                        std::thread::sleep(std::time::Duration::from_millis(5));
                    }
                })
                .await
        });
        in_gap.await.expect("the run reaches its first gap");
        let other = tokio::time::timeout(
            std::time::Duration::from_secs(30),
            m.embed_blocking(vec!["Another text.".to_owned()], Priority::Background),
        )
        .await;
        release.store(true, Ordering::SeqCst);
        assert!(
            other.expect("not held up by the waiting run").is_ok(),
            "embeds"
        );
        waiting.await.expect("joins").expect("embeds");
    }

    #[test]
    fn a_missing_directory_says_which_file_is_missing() {
        let err = Model::load(Path::new("/nonexistent-model-dir"), 1).expect_err("must fail");
        assert!(err.to_string().contains(WEIGHTS_FILE), "{err}");
    }

    #[test]
    fn bytes_round_trip() {
        let v: Vec<f32> = (0..DIMENSIONS).map(|i| i as f32 / 7.0).collect();
        assert_eq!(from_bytes(&to_bytes(&v)).expect("present"), v);
        assert!(from_bytes(&[0; 3]).is_none());
    }
}
