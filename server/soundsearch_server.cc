#include "server/soundsearch_server.h"

#include <atomic>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "indexer/ingest_context.h"
#include "indexer/ingest_service.h"
#include "rpc/bearer_auth.h"
#include "rpc/rpc_runner.h"
#include "rpc/to_proto.h"
#include "server/evaluation_service.h"
#include "server/query_service.h"
#include "server/service_context.h"
#include "soundsearch/build_info.h"
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
  grpc::ServerUnaryReactor* GetServerInfo(grpc::CallbackServerContext* context,
                                          const v1::GetServerInfoRequest*,
                                          v1::ServerInfo* reply) override {
    std::map<std::string, std::string> dependencies = DependencyVersions();
    dependencies["grpc"] = grpc::Version();
    ToProto(Version(), dependencies, reply);
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

absl::Status Validate(const ServerOptions& o) {
  if (o.data_dir.empty())
    return absl::InvalidArgumentError("--data-dir is empty");
  if (o.listen.empty()) return absl::InvalidArgumentError("--listen is empty");
  if (o.max_upload_bytes <= 0) {
    return absl::InvalidArgumentError("--max-upload-bytes must be > 0");
  }
  if (o.max_k < 10000) {
    return absl::InvalidArgumentError("--max-k must be >= 10000");
  }
  if (o.query_threads <= 0 || o.ingest_workers <= 0) {
    return absl::InvalidArgumentError(
        "--query-threads and --ingest-workers must be > 0");
  }
  if (o.ingest_batch < 1) {
    return absl::InvalidArgumentError("--ingest-batch must be >= 1");
  }
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert and --tls-key go together: give both or neither");
  }
  if (!(o.snapshot_every_seconds >= 0)) {
    return absl::InvalidArgumentError(
        "--snapshot-every-seconds must be >= 0 (0 disables it)");
  }
  if (!(o.writer_check_seconds > 0)) {
    return absl::InvalidArgumentError("writer_check_seconds must be > 0");
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

  int port_ = 0;
  ServerMetrics metrics_;

 private:
  ServerOptions options_;
  // Set once the collection is open and both contexts are filled (release);
  // RpcRunner::Admit refuses calls until then (acquire).
  std::atomic<bool> ready_{false};
  ServiceContext query_ctx_;  // Query and Evaluation services
  IngestContext ingest_ctx_;  // Ingest service
  std::unique_ptr<BearerAuth> auth_;
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
  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;

  // Watches the writer: while the store cannot write, the Ingest service
  // reports NOT_SERVING and writing is tried again every
  // writer_check_seconds.
  void WatchWriter();
  absl::Mutex watch_mu_;
  absl::CondVar watch_cv_;
  bool watch_stop_ ABSL_GUARDED_BY(watch_mu_) = false;
  std::thread watcher_;
};

void SoundsearchServer::Impl::WatchWriter() {
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  bool writable = true;
  absl::MutexLock lock(&watch_mu_);
  while (!watch_stop_) {
    watch_cv_.WaitWithTimeout(&watch_mu_,
                              absl::Seconds(options_.writer_check_seconds));
    if (watch_stop_) break;
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
  std::string token;
  if (!options_.auth_token_file.empty()) {
    ASSIGN_OR_RETURN(
        token, ReadWholeFile(options_.auth_token_file, "auth token file"));
    token = std::string(absl::StripAsciiWhitespace(token));
    if (token.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--auth-token-file ", options_.auth_token_file, " is empty"));
    }
  }
  CollectionOptions collection_options;
  collection_options.data_dir = options_.data_dir;
  collection_options.sync_writes = options_.sync_writes;
  collection_options.store_write_buffer_mb = options_.store_write_buffer_mb;
  collection_options.snapshot_every_changes = options_.snapshot_every_changes;
  collection_options.snapshot_every_seconds = options_.snapshot_every_seconds;
  collection_options.decoder.max_input_bytes = options_.max_upload_bytes;
  collection_options.decoder.max_duration_seconds = options_.max_clip_seconds;
  if (!options_.config_path.empty()) {
    ASSIGN_OR_RETURN(collection_options.spaces,
                     LoadSpaceConfigFile(options_.config_path));
  }

  if (!options_.metrics_listen.empty()) {
    RETURN_IF_ERROR(metrics_.StartHttp(options_.metrics_listen));
  }
  auth_ = std::make_unique<BearerAuth>(token);
  WorkerPoolOptions pool_options;
  pool_options.threads = options_.query_threads;
  pool_options.max_queue = options_.query_queue;
  query_pool_ = std::make_unique<WorkerPool>(pool_options);
  runner_ = std::make_unique<RpcRunner>(&metrics_, query_pool_.get(),
                                        auth_.get(), &ready_);
  query_ctx_.metrics = &metrics_;
  query_ctx_.runner = runner_.get();
  query_ctx_.limits.max_k = options_.max_k;
  query_ctx_.started = std::chrono::steady_clock::now();
  ingest_ctx_.runner = runner_.get();
  ingest_ctx_.observer = &metrics_;
  ingest_ctx_.max_upload_bytes = options_.max_upload_bytes;
  query_service_ = std::make_unique<QueryService>(&query_ctx_);
  ingest_service_ = std::make_unique<IngestService>(&ingest_ctx_);
  meta_service_ = std::make_unique<MetaService>();
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
  // A second server on the same port must fail, not share it silently.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(options_.listen, credentials, &port_);
  // Room for the largest upload plus the message's other fields.
  const int max_message = static_cast<int>(std::min<int64_t>(
      options_.max_upload_bytes + (int64_t{1} << 20), int64_t{2000} << 20));
  builder.SetMaxReceiveMessageSize(max_message);
  builder.SetMaxSendMessageSize(max_message);
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
  pipeline_options.max_queue = options_.ingest_queue;
  pipeline_options.max_batch = options_.ingest_batch;
  ASSIGN_OR_RETURN(
      pipeline_,
      IngestPipeline::Create(collection_.get(), pipeline_options, &metrics_));
  ManifestJobsOptions jobs_options;
  jobs_options.max_file_bytes = options_.max_upload_bytes;
  jobs_ = std::make_unique<ManifestJobs>(pipeline_.get(), jobs_options);
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
  ready_.store(true, std::memory_order_release);
  health->SetServingStatus(true);
  watcher_ = std::thread([this] { WatchWriter(); });
  return absl::OkStatus();
}

void SoundsearchServer::Impl::Shutdown() {
  absl::MutexLock lock(&shutdown_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  {
    absl::MutexLock watch_lock(&watch_mu_);
    watch_stop_ = true;
    watch_cv_.SignalAll();
  }
  if (watcher_.joinable()) watcher_.join();
  if (server_ != nullptr) {
    server_->GetHealthCheckService()->SetServingStatus(false);
    server_->Shutdown(std::chrono::system_clock::now() +
                      std::chrono::milliseconds(static_cast<int64_t>(
                          options_.shutdown_grace_seconds * 1000)));
  }
  jobs_.reset();  // stop feeding manifest rows
  if (pipeline_ != nullptr) pipeline_->Shutdown();  // drain queued uploads
  if (query_pool_ != nullptr) query_pool_->Shutdown();
  if (server_ != nullptr) server_->Wait();
  ready_.store(false, std::memory_order_release);
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
void SoundsearchServer::Shutdown() { impl_->Shutdown(); }

}  // namespace soundsearch
