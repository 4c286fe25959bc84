#include "server/soundsearch_server.h"

#include <atomic>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
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
#include "server/http_api.h"
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
  if (o.data_dir.empty()) return absl::InvalidArgumentError("--data-dir is empty");
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
  if (o.preview_bitrate_kbps < 8 || o.preview_bitrate_kbps > 320) {
    return absl::InvalidArgumentError(
        "--preview-bitrate must be in [8, 320] kbit/s");
  }
  if (o.ingest_batch < 1) {
    return absl::InvalidArgumentError("--ingest-batch must be >= 1");
  }
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert and --tls-key go together: give both or neither");
  }
  return absl::OkStatus();
}

}  // namespace

class SoundsearchServer::Impl {
 public:
  absl::Status Start(const ServerOptions& options);
  void Shutdown();

  int port_ = 0;
  int http_port_ = 0;
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
  std::unique_ptr<HttpApi> http_;
  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

absl::Status SoundsearchServer::Impl::Start(const ServerOptions& options) {
  options_ = options;
  RETURN_IF_ERROR(Validate(options_));
  std::string token;
  if (!options_.auth_token_file.empty()) {
    ASSIGN_OR_RETURN(token,
                     ReadWholeFile(options_.auth_token_file, "auth token file"));
    token = std::string(absl::StripAsciiWhitespace(token));
    if (token.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--auth-token-file ", options_.auth_token_file, " is empty"));
    }
  }
  CollectionOptions collection_options;
  collection_options.data_dir = options_.data_dir;
  collection_options.sync_writes = options_.sync_writes;
  collection_options.decoder.max_input_bytes = options_.max_upload_bytes;
  collection_options.decoder.max_duration_seconds = options_.max_clip_seconds;
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
  const int max_message = static_cast<int>(
      std::min<int64_t>(options_.max_upload_bytes + (int64_t{1} << 20),
                        int64_t{2000} << 20));
  builder.SetMaxReceiveMessageSize(max_message);
  builder.SetMaxSendMessageSize(max_message);
  builder.RegisterService(query_service_.get());
  builder.RegisterService(ingest_service_.get());
  builder.RegisterService(meta_service_.get());
  builder.RegisterService(evaluation_service_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options_.listen,
                     " (address in use or invalid)"));
  }
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
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
  return absl::OkStatus();
}

void SoundsearchServer::Impl::Shutdown() {
  absl::MutexLock lock(&shutdown_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  if (server_ != nullptr) {
    server_->GetHealthCheckService()->SetServingStatus(false);
    server_->Shutdown(std::chrono::system_clock::now() +
                      std::chrono::milliseconds(static_cast<int64_t>(
                          options_.shutdown_grace_seconds * 1000)));
  }
  if (http_ != nullptr) http_->Stop();  // no new HTTP calls; waits for them
  jobs_.reset();                             // stop feeding manifest rows
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
int SoundsearchServer::http_port() const { return impl_->http_port_; }
void SoundsearchServer::Shutdown() { impl_->Shutdown(); }

}  // namespace soundsearch
