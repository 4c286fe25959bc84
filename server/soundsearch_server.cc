#include "server/soundsearch_server.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/resource_quota.h"
#include "indexer/ingest_context.h"
#include "indexer/ingest_service.h"
#include "rpc/bearer_auth.h"
#include "rpc/request_budget.h"
#include "rpc/rpc_runner.h"
#include "rpc/to_proto.h"
#include "server/evaluation_service.h"
#include "server/http_api.h"
#include "server/listen_address.h"
#include "server/query_service.h"
#include "server/service_context.h"
#include "soundsearch/blas_info.h"
#include "soundsearch/build_info.h"
#include "soundsearch/import_roots.h"
#include "soundsearch/space_config.h"
#include "soundsearch/status_macros.h"
#include "soundsearch/v1/common.grpc.pb.h"

namespace soundsearch {
namespace {

absl::StatusOr<std::string> ReadWholeFile(const std::string& path,
                                          const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read ", what, " ", path));
  }
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class MetaService final : public v1::Meta::CallbackService {
 public:
  explicit MetaService(const RpcRunner* runner) : runner_(runner) {}

  grpc::ServerUnaryReactor* GetServerInfo(
      grpc::CallbackServerContext* context,
      const v1::GetServerInfoRequest* request, v1::ServerInfo* reply) override {
    return runner_->Run(context, "GetServerInfo", *request,
                        [reply](absl::Time) {
                          std::map<std::string, std::string> dependencies =
                              DependencyVersions();
                          dependencies["grpc"] = grpc::Version();
                          ToProto(Version(), dependencies, reply);
                          reply->set_blas(LoadedBlas().Describe());
                          return absl::OkStatus();
                        });
  }

 private:
  const RpcRunner* const runner_;
};

// Drops gRPC's reflection plugin from one server's builder (the plugin is
// registered process-wide): a server with tokens does not serve reflection,
// which gRPC gives no way to guard with a token.
class WithoutReflection final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>*
                         plugins) override {
    plugins->erase(
        std::remove_if(plugins->begin(), plugins->end(),
                       [](const std::unique_ptr<grpc::ServerBuilderPlugin>& p) {
                         return p->name() == "proto_server_reflection";
                       }),
        plugins->end());
  }
};

constexpr int64_t kMiB = int64_t{1} << 20;
constexpr int64_t kGiB = int64_t{1} << 30;
constexpr int64_t kTiB = int64_t{1} << 40;

absl::Status IntRange(const char* flag, int64_t value, int64_t lo, int64_t hi) {
  if (value >= lo && value <= hi) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(flag, " must be in [", lo, ", ", hi, "], got ", value));
}

// lo_open: (lo, hi] instead of [lo, hi]. NaN and infinities fail.
absl::Status RealRange(const char* flag, double value, double lo, double hi,
                       bool lo_open = false) {
  const bool low_ok = lo_open ? value > lo : value >= lo;
  if (std::isfinite(value) && low_ok && value <= hi) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(flag, " must be in ",
                                                 lo_open ? "(" : "[", lo, ", ",
                                                 hi, "], got ", value));
}

absl::Status Validate(const ServerOptions& o) {
  if (o.data_dir.empty())
    return absl::InvalidArgumentError("--data-dir is empty");
  if (o.listen.empty()) return absl::InvalidArgumentError("--listen is empty");
  RETURN_IF_ERROR(IntRange("--max-upload-bytes", o.max_upload_bytes, 1, kGiB));
  RETURN_IF_ERROR(
      RealRange("--max-clip-seconds", o.max_clip_seconds, 0, 86400, true));
  RETURN_IF_ERROR(RealRange("--max-batch-audio-seconds",
                            o.max_batch_audio_seconds, 1, 86400.0 * 256));
  RETURN_IF_ERROR(IntRange("--max-k", o.max_k, 10000, 1000000));
  RETURN_IF_ERROR(IntRange("--query-threads", o.query_threads, 1, 1024));
  RETURN_IF_ERROR(IntRange("--query-queue", o.query_queue, 1, 1000000));
  RETURN_IF_ERROR(IntRange("--ingest-workers", o.ingest_workers, 1, 1024));
  RETURN_IF_ERROR(IntRange("--ingest-queue", o.ingest_queue, 1, 1000000));
  RETURN_IF_ERROR(IntRange("--ingest-batch", o.ingest_batch, 1, 1024));
  RETURN_IF_ERROR(IntRange("--store-memtable-budget-mb",
                           o.store_memtable_budget_mb, 0, 65536));
  RETURN_IF_ERROR(IntRange("--max-import-file-bytes", o.max_import_file_bytes,
                           1024, 4 * kGiB));
  RETURN_IF_ERROR(IntRange("--manifest-jobs", o.manifest_jobs, 1, 64));
  RETURN_IF_ERROR(
      IntRange("--manifest-jobs-waiting", o.manifest_jobs_waiting, 1, 1024));
  RETURN_IF_ERROR(RealRange("--job-retention-seconds", o.job_retention_seconds,
                            1, 30 * 86400));
  RETURN_IF_ERROR(
      RealRange("--auth-reload-seconds", o.auth_reload_seconds, 0, 86400));
  RETURN_IF_ERROR(
      RealRange("--shutdown-grace-seconds", o.shutdown_grace_seconds, 0, 3600));
  // The largest message gRPC must accept: an upload and its other fields.
  const int64_t max_message = o.max_upload_bytes + kMiB;
  RETURN_IF_ERROR(IntRange("--grpc-memory-bytes", o.grpc_memory_bytes,
                           std::max<int64_t>(64 * kMiB, 2 * max_message),
                           kTiB));
  RETURN_IF_ERROR(IntRange("--request-memory-bytes", o.request_memory_bytes,
                           max_message, kTiB));
  RETURN_IF_ERROR(
      IntRange("--max-concurrent-streams", o.max_concurrent_streams, 1, 65536));
  RETURN_IF_ERROR(
      IntRange("--preview-bitrate", o.preview_bitrate_kbps, 8, 320));
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert and --tls-key go together: give both or neither");
  }
  if (o.auth_token_file.empty() && !o.insecure &&
      !IsLoopbackListenAddress(o.listen)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "refusing to listen on ", o.listen,
        " without tokens: it is not a loopback address, so anyone who can "
        "reach it could change or delete the collection. Give "
        "--auth-token-file FILE (docs/operations.md, \"Tokens and roles\"), "
        "or --insecure to serve without tokens anyway"));
  }
  if (!(o.snapshot_every_seconds >= 0)) {
    return absl::InvalidArgumentError(
        "--snapshot-every-seconds must be >= 0 (0 disables it)");
  }
  if (!(o.writer_check_seconds > 0)) {
    return absl::InvalidArgumentError("writer_check_seconds must be > 0");
  }
  if (!o.http_listen.empty() && o.auth_token_file.empty() && !o.insecure &&
      !IsLoopbackListenAddress(o.http_listen)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "refusing to serve HTTP on ", o.http_listen,
        " without tokens: it is not a loopback address. Give "
        "--auth-token-file FILE, or --insecure to serve without tokens "
        "anyway"));
  }
  return absl::OkStatus();
}

// The services whose health is reported by name (besides "", the server).
constexpr const char* kQueryHealth = "soundsearch.v1.Query";
constexpr const char* kEvaluationHealth = "soundsearch.v1.Evaluation";
constexpr const char* kIngestHealth = "soundsearch.v1.Ingest";

}  // namespace

class SoundsearchServer::Impl {
 public:
  absl::Status Start(const ServerOptions& options);
  void Shutdown();
  absl::Status ReloadTokens();

  int port_ = 0;
  int http_port_ = 0;
  ServerMetrics metrics_;

 private:
  // The identity of the token file as stat sees it, to notice a change
  // (including a Kubernetes secret's symlink swap).
  struct FileStamp {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = -1;
    int64_t mtime_ns = -1;
    bool operator==(const FileStamp& o) const {
      return dev == o.dev && ino == o.ino && size == o.size &&
             mtime_ns == o.mtime_ns;
    }
  };
  static FileStamp StampOf(const std::string& path);
  // The token file watch: polls every auth_reload_seconds until stopped.
  void WatchTokens();

  ServerOptions options_;
  // Set once the collection is open and both contexts are filled (release);
  // RpcRunner::Admit refuses calls until then (acquire).
  std::atomic<bool> ready_{false};
  ServiceContext query_ctx_;  // Query and Evaluation services
  IngestContext ingest_ctx_;  // Ingest service
  std::unique_ptr<BearerAuth> auth_;
  ImportRoots import_roots_;
  std::unique_ptr<RequestBudget> request_budget_;
  std::unique_ptr<WorkerPool> query_pool_;
  std::unique_ptr<RpcRunner> runner_;
  std::unique_ptr<SoundCollection> collection_;
  std::unique_ptr<IngestPipeline> pipeline_;
  std::unique_ptr<ManifestJobs> jobs_;
  std::unique_ptr<QueryService> query_service_;
  std::unique_ptr<IngestService> ingest_service_;
  std::unique_ptr<MetaService> meta_service_;
  std::unique_ptr<EvaluationService> evaluation_service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<HttpApi> http_;
  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;

  absl::Mutex watch_mu_;
  bool stop_watch_ ABSL_GUARDED_BY(watch_mu_) = false;
  FileStamp token_stamp_ ABSL_GUARDED_BY(watch_mu_);
  std::thread token_watch_;
  // Watches the writer: while the store cannot write, the Ingest service
  // reports NOT_SERVING and writing is tried again every
  // writer_check_seconds.
  void WatchWriter();
  absl::Mutex writer_mu_;
  absl::CondVar writer_cv_;
  bool writer_stop_ ABSL_GUARDED_BY(writer_mu_) = false;
  std::thread writer_watch_;
};

SoundsearchServer::Impl::FileStamp SoundsearchServer::Impl::StampOf(
    const std::string& path) {
  FileStamp stamp;
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    stamp.dev = st.st_dev;
    stamp.ino = st.st_ino;
    stamp.size = st.st_size;
    stamp.mtime_ns =
        int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  }
  return stamp;
}

absl::Status SoundsearchServer::Impl::ReloadTokens() {
  if (options_.auth_token_file.empty() || auth_ == nullptr) {
    return absl::FailedPreconditionError(
        "the server has no --auth-token-file to reload");
  }
  absl::MutexLock lock(&watch_mu_);
  const FileStamp stamp = StampOf(options_.auth_token_file);
  ASSIGN_OR_RETURN(TokenSet tokens, ReadTokenFile(options_.auth_token_file));
  const int admin = tokens.admin_count();
  const int read = tokens.read_count();
  RETURN_IF_ERROR(auth_->Replace(std::move(tokens)));
  token_stamp_ = stamp;
  std::fprintf(stderr,
               "soundsearchd: tokens loaded from %s: %d admin, %d read\n",
               options_.auth_token_file.c_str(), admin, read);
  return absl::OkStatus();
}

void SoundsearchServer::Impl::WatchTokens() {
  const absl::Duration period = absl::Seconds(options_.auth_reload_seconds);
  for (;;) {
    {
      absl::MutexLock lock(&watch_mu_);
      if (watch_mu_.AwaitWithTimeout(absl::Condition(&stop_watch_), period)) {
        return;
      }
      if (StampOf(options_.auth_token_file) == token_stamp_) continue;
    }
    absl::Status reloaded = ReloadTokens();
    if (!reloaded.ok()) {
      std::fprintf(stderr,
                   "soundsearchd: the token file changed but cannot be "
                   "loaded; the old tokens stay: %s\n",
                   reloaded.ToString().c_str());
      // Not again until it changes again.
      absl::MutexLock lock(&watch_mu_);
      token_stamp_ = StampOf(options_.auth_token_file);
    }
  }
}

void SoundsearchServer::Impl::WatchWriter() {
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  bool writable = true;
  absl::MutexLock lock(&writer_mu_);
  while (!writer_stop_) {
    writer_cv_.WaitWithTimeout(&writer_mu_,
                              absl::Seconds(options_.writer_check_seconds));
    if (writer_stop_) break;
    absl::Status now = collection_->WriterHealth();
    if (!now.ok()) now = collection_->ResumeWrites();
    if (now.ok() != writable) {
      writable = now.ok();
      health->SetServingStatus(kIngestHealth, writable);
      metrics_.SetStoreWritable(writable);
      if (writable) {
        std::fprintf(stderr,
                     "soundsearchd: the store writes again; ingest "
                     "resumed\n");
      } else {
        std::fprintf(stderr,
                     "soundsearchd: the store cannot write (%s); ingest "
                     "refused, queries go on\n",
                     std::string(now.message()).c_str());
      }
    }
  }
}

absl::Status SoundsearchServer::Impl::Start(const ServerOptions& options) {
  options_ = options;
  RETURN_IF_ERROR(Validate(options_));
  auth_ = std::make_unique<BearerAuth>();
  if (!options_.auth_token_file.empty()) RETURN_IF_ERROR(ReloadTokens());
  ASSIGN_OR_RETURN(import_roots_, ImportRoots::Create(options_.import_roots));
  CollectionOptions collection_options;
  collection_options.data_dir = options_.data_dir;
  collection_options.sync_writes = options_.sync_writes;
  collection_options.store_write_buffer_mb = options_.store_write_buffer_mb;
  collection_options.store_memtable_budget_mb =
      options_.store_memtable_budget_mb;
  collection_options.snapshot_every_changes = options_.snapshot_every_changes;
  collection_options.snapshot_every_seconds = options_.snapshot_every_seconds;
  collection_options.decoder.max_input_bytes = options_.max_upload_bytes;
  collection_options.decoder.max_duration_seconds = options_.max_clip_seconds;
  collection_options.search_batching = options_.search_batching;
  collection_options.search_observer = &metrics_;
  collection_options.previews.enabled = options_.previews;
  collection_options.previews.bitrate_kbps = options_.preview_bitrate_kbps;
  if (!options_.config_path.empty()) {
    ASSIGN_OR_RETURN(collection_options.spaces,
                     LoadSpaceConfigFile(options_.config_path));
    ASSIGN_OR_RETURN(collection_options.text,
                     LoadTextQueryConfigFile(options_.config_path));
  }
  if (!options_.ontology_path.empty()) {
    collection_options.text.ontology_path = options_.ontology_path;
  }
  if (!options_.class_match.empty()) {
    auto match = ParseClassMatch(options_.class_match);
    if (!match.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--class-match: ", match.status().message()));
    }
    collection_options.text.class_match = *match;
  }

  if (!options_.metrics_listen.empty()) {
    RETURN_IF_ERROR(metrics_.StartHttp(options_.metrics_listen));
  }
  request_budget_ =
      std::make_unique<RequestBudget>(options_.request_memory_bytes, &metrics_);
  metrics_.SetRequestMemoryLimit(options_.request_memory_bytes);
  WorkerPoolOptions pool_options;
  pool_options.threads = options_.query_threads;
  pool_options.max_queue = static_cast<size_t>(options_.query_queue);
  query_pool_ = std::make_unique<WorkerPool>(pool_options);
  runner_ =
      std::make_unique<RpcRunner>(&metrics_, query_pool_.get(), auth_.get(),
                                  request_budget_.get(), &ready_);
  query_ctx_.metrics = &metrics_;
  query_ctx_.runner = runner_.get();
  query_ctx_.import_roots = &import_roots_;
  query_ctx_.limits.max_k = options_.max_k;
  query_ctx_.limits.max_batch_audio_seconds = options_.max_batch_audio_seconds;
  query_ctx_.limits.max_clip_seconds = options_.max_clip_seconds;
  query_ctx_.limits.max_import_file_bytes = options_.max_import_file_bytes;
  query_ctx_.started = std::chrono::steady_clock::now();
  ingest_ctx_.runner = runner_.get();
  ingest_ctx_.observer = &metrics_;
  ingest_ctx_.max_upload_bytes = options_.max_upload_bytes;
  query_service_ = std::make_unique<QueryService>(&query_ctx_);
  ingest_service_ = std::make_unique<IngestService>(&ingest_ctx_);
  meta_service_ = std::make_unique<MetaService>(runner_.get());
  evaluation_service_ = std::make_unique<EvaluationService>(&query_ctx_);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::InsecureServerCredentials();
  if (!options_.tls_cert_file.empty()) {
    grpc::SslServerCredentialsOptions ssl;
    grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
    ASSIGN_OR_RETURN(pair.cert_chain,
                     ReadWholeFile(options_.tls_cert_file, "TLS certificate"));
    ASSIGN_OR_RETURN(pair.private_key,
                     ReadWholeFile(options_.tls_key_file, "TLS key"));
    ssl.pem_key_cert_pairs.push_back(std::move(pair));
    credentials = grpc::SslServerCredentials(ssl);
  }
  grpc::ServerBuilder builder;
  if (auth_->enabled()) {
    builder.SetOption(std::make_unique<WithoutReflection>());
  }
  // A second server on the same port must fail, not share it silently.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(options_.listen, credentials, &port_);
  // Room for the largest upload plus the message's other fields (Validate
  // keeps it under 2 GiB, gRPC's int limit).
  const int max_message =
      static_cast<int>(options_.max_upload_bytes + (int64_t{1} << 20));
  builder.SetMaxReceiveMessageSize(max_message);
  builder.SetMaxSendMessageSize(max_message);
  // Memory: the transport's buffers are bounded by the quota (gRPC slows
  // senders down, then cancels streams, when it runs out) and each client
  // connection by its number of concurrent calls.
  grpc::ResourceQuota quota("soundsearchd");
  quota.Resize(static_cast<size_t>(options_.grpc_memory_bytes));
  builder.SetResourceQuota(quota);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             options_.max_concurrent_streams);
  builder.RegisterService(query_service_.get());
  builder.RegisterService(ingest_service_.get());
  builder.RegisterService(meta_service_.get());
  builder.RegisterService(evaluation_service_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", options_.listen, " (address in use or invalid)"));
  }
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  for (const char* service : {kQueryHealth, kEvaluationHealth, kIngestHealth}) {
    health->SetServingStatus(service, false);
  }
  health->SetServingStatus(false);  // until every index is loaded
  if (!options_.http_listen.empty()) {
    HttpApiOptions http_options;
    http_options.listen = options_.http_listen;
    http_options.max_upload_bytes = options_.max_upload_bytes;
    HttpApiBackends backends;
    backends.runner = runner_.get();
    backends.query = query_service_.get();
    backends.evaluation = evaluation_service_.get();
    backends.query_ctx = &query_ctx_;
    backends.ingest_ctx = &ingest_ctx_;
    ASSIGN_OR_RETURN(http_, HttpApi::Start(http_options, backends));
    http_port_ = http_->port();
  }

  ASSIGN_OR_RETURN(collection_, SoundCollection::Open(collection_options));
  const CollectionOpenReport& opened = collection_->open_report();
  for (const std::string& line : opened.quarantined) {
    std::fprintf(stderr, "soundsearchd: quarantined %s\n", line.c_str());
  }
  for (const auto& [space, why] : opened.rebuilt) {
    std::fprintf(stderr, "soundsearchd: space '%s': index rebuilt (%s)\n",
                 space.c_str(), why.c_str());
  }
  if (opened.quarantine_size > 0) {
    std::fprintf(stderr,
                 "soundsearchd: %llu record(s) in quarantine; see "
                 "`soundsearchd --check` (docs/operations.md)\n",
                 static_cast<unsigned long long>(opened.quarantine_size));
  }
  metrics_.SetQuarantined(opened.quarantine_size);
  metrics_.SetStartSeconds(opened.seconds);
  metrics_.SetStoreWritable(collection_->WriterHealth().ok());
  IngestPipelineOptions pipeline_options;
  pipeline_options.workers = options_.ingest_workers;
  pipeline_options.max_queue = static_cast<size_t>(options_.ingest_queue);
  pipeline_options.max_batch = options_.ingest_batch;
  ASSIGN_OR_RETURN(
      pipeline_,
      IngestPipeline::Create(collection_.get(), pipeline_options, &metrics_));
  ManifestJobsOptions jobs_options;
  jobs_options.max_file_bytes = options_.max_upload_bytes;
  jobs_options.max_manifest_bytes = options_.max_import_file_bytes;
  jobs_options.max_running_jobs = options_.manifest_jobs;
  jobs_options.max_waiting_jobs = options_.manifest_jobs_waiting;
  jobs_options.finished_job_ttl_seconds = options_.job_retention_seconds;
  RETURN_IF_ERROR(ManifestJobs::Validate(jobs_options));
  jobs_ = std::make_unique<ManifestJobs>(pipeline_.get(), &import_roots_,
                                         jobs_options);
  query_ctx_.collection = collection_.get();
  query_ctx_.pipeline = pipeline_.get();
  ingest_ctx_.collection = collection_.get();
  ingest_ctx_.pipeline = pipeline_.get();
  ingest_ctx_.jobs = jobs_.get();
  ingest_ctx_.ReportIndexSizes();
  for (const SpaceStatus& s : collection_->Spaces()) {
    auto evaluation = collection_->LastEvaluation(s.config.name);
    if (evaluation.ok()) query_ctx_.ExportEvaluation(*evaluation);
  }
  if (!options_.auth_token_file.empty() && options_.auth_reload_seconds > 0) {
    token_watch_ = std::thread([this] { WatchTokens(); });
  }
  ready_.store(true, std::memory_order_release);
  health->SetServingStatus(true);
  writer_watch_ = std::thread([this] { WatchWriter(); });
  return absl::OkStatus();
}

void SoundsearchServer::Impl::Shutdown() {
  absl::MutexLock lock(&shutdown_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  {
    absl::MutexLock watch_lock(&watch_mu_);
    stop_watch_ = true;
  }
  {
    absl::MutexLock writer_lock(&writer_mu_);
    writer_stop_ = true;
    writer_cv_.SignalAll();
  }
  if (token_watch_.joinable()) token_watch_.join();
  if (writer_watch_.joinable()) writer_watch_.join();
  if (server_ != nullptr) {
    server_->GetHealthCheckService()->SetServingStatus(false);
    server_->Shutdown(std::chrono::system_clock::now() +
                      std::chrono::milliseconds(static_cast<int64_t>(
                          options_.shutdown_grace_seconds * 1000)));
  }
  if (http_ != nullptr) http_->Stop();  // no new HTTP calls; waits for them
  // Stop feeding manifest rows: running jobs wait for their in-flight rows,
  // waiting ones end; the jobs' pool is joined.
  if (jobs_ != nullptr) jobs_->Shutdown();
  if (pipeline_ != nullptr) pipeline_->Shutdown();  // drain queued uploads
  if (query_pool_ != nullptr) query_pool_->Shutdown();
  if (server_ != nullptr) server_->Wait();
  ready_.store(false, std::memory_order_release);
  jobs_.reset();
  pipeline_.reset();
  if (collection_ != nullptr) {
    collection_->SaveSnapshots().IgnoreError();
    collection_.reset();
  }
}

SoundsearchServer::SoundsearchServer(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

SoundsearchServer::~SoundsearchServer() { Shutdown(); }

absl::StatusOr<std::unique_ptr<SoundsearchServer>> SoundsearchServer::Start(
    const ServerOptions& options) {
  auto impl = std::make_unique<Impl>();
  absl::Status started = impl->Start(options);
  if (!started.ok()) {
    impl->Shutdown();
    return started;
  }
  return std::unique_ptr<SoundsearchServer>(
      new SoundsearchServer(std::move(impl)));
}

int SoundsearchServer::port() const { return impl_->port_; }
int SoundsearchServer::metrics_port() const {
  return impl_->metrics_.http_port();
}
int SoundsearchServer::http_port() const { return impl_->http_port_; }
void SoundsearchServer::Shutdown() { impl_->Shutdown(); }
absl::Status SoundsearchServer::ReloadTokens() { return impl_->ReloadTokens(); }

}  // namespace soundsearch
