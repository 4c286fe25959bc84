#include "server/http_api.h"

#include <chrono>
#include <map>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "httplib.h"
#include "indexer/ingest_service.h"
#include "nlohmann/json.hpp"
#include "rpc/http_status.h"
#include "rpc/to_proto.h"
#include "server/web_assets.h"
#include "soundsearch/audio_decoder.h"
#include "soundsearch/status_macros.h"
#include "soundsearch/waveform_image.h"

namespace soundsearch {
namespace {

using google::protobuf::Message;

// How long a request may take on the pool (gRPC callers set their own).
constexpr absl::Duration kHttpDeadline = absl::Seconds(60);

void SendError(httplib::Response& res, const absl::Status& status) {
  res.status = HttpStatusOf(status);
  res.set_content(HttpErrorJson(status), "application/json");
}

std::string ToJson(const Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(message, &out, options)
           .ok()) {
    return "{}";
  }
  return out;
}

bool IsJson(const httplib::Request& http) {
  const std::string type = http.get_header_value("Content-Type");
  return type.rfind("application/json", 0) == 0;
}

// Fills `out` from the request: the JSON body (application/json) or the
// multipart part `request`, then each query-string parameter as a
// top-level field (a string: protobuf's JSON mapping reads numbers and enum
// names from strings; "true"/"false" as booleans), then the audio: the
// multipart part `file` or a body of any other type, into the field
// `audio` when `out` has one. InvalidArgument naming what does not parse.
absl::Status ParseRequest(const httplib::Request& http, Message* out) {
  if (http.get_header_value("Content-Type")
              .rfind("application/x-www-form-urlencoded", 0) == 0 &&
      !http.body.empty()) {
    return absl::InvalidArgumentError(
        "a form-encoded body is not accepted: send audio as the body (any "
        "other type, e.g. application/octet-stream), as the multipart part "
        "`file`, or the request as application/json");
  }
  nlohmann::json fields = nlohmann::json::object();
  std::string json_text;
  if (http.is_multipart_form_data()) {
    if (http.has_file("request")) {
      json_text = http.get_file_value("request").content;
    }
  } else if (IsJson(http)) {
    json_text = http.body;
  }
  if (!json_text.empty()) {
    fields = nlohmann::json::parse(json_text, nullptr, false);
    if (fields.is_discarded() || !fields.is_object()) {
      return absl::InvalidArgumentError(
          "request body: not a JSON object (the v1 message in protobuf's "
          "JSON mapping)");
    }
  }
  const google::protobuf::Descriptor* descriptor = out->GetDescriptor();
  for (const auto& [name, value] : http.params) {
    const google::protobuf::FieldDescriptor* field =
        descriptor->FindFieldByName(name);
    if (field == nullptr || field->is_repeated() ||
        field->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown query parameter '", name, "' for ", descriptor->name(),
          " (nested fields go in a JSON body)"));
    }
    if (field->type() == google::protobuf::FieldDescriptor::TYPE_BOOL) {
      fields[name] = value == "true" || value == "1";
    } else {
      fields[name] = value;
    }
  }
  google::protobuf::util::JsonParseOptions options;
  auto parsed =
      google::protobuf::util::JsonStringToMessage(fields.dump(), out, options);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("request: ", parsed.ToString()));
  }
  const google::protobuf::FieldDescriptor* audio =
      descriptor->FindFieldByName("audio");
  std::string bytes;
  bool has_audio = false;
  if (http.is_multipart_form_data()) {
    if (http.has_file("file")) {
      bytes = http.get_file_value("file").content;
      has_audio = true;
    }
  } else if (!IsJson(http) && !http.body.empty()) {
    bytes = http.body;
    has_audio = true;
  }
  if (has_audio) {
    if (audio == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(descriptor->name(), " takes no audio"));
    }
    if (bytes.empty()) {
      return absl::InvalidArgumentError("audio: the upload is empty");
    }
    out->GetReflection()->SetString(out, audio, std::move(bytes));
  }
  return absl::OkStatus();
}

}  // namespace

class HttpApi::Impl {
 public:
  Impl(const HttpApiOptions& options, const HttpApiBackends& backends)
      : options_(options), b_(backends) {}
  absl::Status Start();
  void Stop();

  int port_ = 0;

 private:
  void Routes();
  // Parses `Req` from the request (ParseRequest), lets `prepare` adjust it,
  // runs `answer` through the runner as `method` and writes the JSON
  // response or the JSON error.
  template <typename Req, typename Resp>
  void Serve(const httplib::Request& http, httplib::Response& res,
             const char* method,
             absl::Status (*prepare)(const httplib::Request&, Req*),
             std::function<absl::Status(const Req*, Resp*, absl::Time)> answer);
  // RpcRunner::RunAndWait for `method` (the gRPC method's name: its role
  // and its metrics) with the request's token: the Authorization header,
  // or for `<audio>`/`<img>` sources, which cannot send one, the
  // `access_token` query parameter when `token_in_query`.
  absl::Status Run(const httplib::Request& http, const char* method,
                   std::function<absl::Status(absl::Time)> work,
                   bool token_in_query = false);

  // The waveform PNG of sound `id`, rendered from its preview on first
  // request and kept (up to kMaxCachedImages, oldest ids dropped first).
  absl::StatusOr<std::string> Waveform(uint64_t id);
  static constexpr size_t kMaxCachedImages = 4096;

  const HttpApiOptions options_;
  const HttpApiBackends b_;
  std::unique_ptr<AudioDecoder> decoder_;
  absl::Mutex images_mu_;
  std::map<uint64_t, std::string> images_ ABSL_GUARDED_BY(images_mu_);
  httplib::Server server_;
  std::thread thread_;
  bool stopped_ = false;
};

absl::Status HttpApi::Impl::Run(const httplib::Request& http,
                                const char* method,
                                std::function<absl::Status(absl::Time)> work,
                                bool token_in_query) {
  std::string header;
  std::optional<absl::string_view> authorization;
  if (http.has_header("Authorization")) {
    header = http.get_header_value("Authorization");
    authorization = header;
  } else if (token_in_query && http.has_param("access_token")) {
    header = absl::StrCat("Bearer ", http.get_param_value("access_token"));
    authorization = header;
  }
  return b_.runner->RunAndWait(method, authorization,
                               static_cast<int64_t>(http.body.size()),
                               absl::Now() + kHttpDeadline, std::move(work));
}

absl::StatusOr<std::string> HttpApi::Impl::Waveform(uint64_t id) {
  // A deleted sound has no picture, even a cached one.
  RETURN_IF_ERROR(b_.query_ctx->collection->Get(id).status());
  {
    absl::MutexLock lock(&images_mu_);
    auto it = images_.find(id);
    if (it != images_.end()) return it->second;
  }
  ASSIGN_OR_RETURN(std::string preview,
                   b_.query_ctx->collection->GetPreview(id));
  DecodeRequest request;
  request.sample_rate = 8000;
  ASSIGN_OR_RETURN(DecodedAudio audio, decoder_->DecodeBytes(preview, request));
  ASSIGN_OR_RETURN(std::string png, RenderWaveformPng(audio.samples));
  absl::MutexLock lock(&images_mu_);
  if (images_.size() >= kMaxCachedImages) images_.erase(images_.begin());
  images_[id] = png;
  return png;
}

template <typename Req, typename Resp>
void HttpApi::Impl::Serve(
    const httplib::Request& http, httplib::Response& res, const char* method,
    absl::Status (*prepare)(const httplib::Request&, Req*),
    std::function<absl::Status(const Req*, Resp*, absl::Time)> answer) {
  Req request;
  Resp response;
  absl::Status status = ParseRequest(http, &request);
  if (status.ok() && prepare != nullptr) status = prepare(http, &request);
  if (status.ok()) {
    status = Run(http, method, [&](absl::Time deadline) {
      return answer(&request, &response, deadline);
    });
  }
  if (!status.ok()) {
    SendError(res, status);
    return;
  }
  res.set_content(ToJson(response), "application/json");
}

namespace {

// The id in the path (`/api/sounds/<id>...`) into a SoundRef.
absl::Status SoundFromPath(const httplib::Request& http,
                           v1::GetSoundRequest* request) {
  uint64_t id = 0;
  if (http.matches.size() < 2 ||
      !absl::SimpleAtoi(http.matches[1].str(), &id)) {
    return absl::InvalidArgumentError("sound id: not a number");
  }
  request->mutable_sound()->set_id(id);
  return absl::OkStatus();
}

absl::Status DescribeFromPath(const httplib::Request& http,
                              v1::DescribeSoundRequest* request) {
  uint64_t id = 0;
  if (http.matches.size() < 2 ||
      !absl::SimpleAtoi(http.matches[1].str(), &id)) {
    return absl::InvalidArgumentError("sound id: not a number");
  }
  request->set_id(id);
  return absl::OkStatus();
}

absl::Status PreviewFromPath(const httplib::Request& http,
                             v1::AddPreviewRequest* request) {
  uint64_t id = 0;
  if (http.matches.size() < 2 ||
      !absl::SimpleAtoi(http.matches[1].str(), &id)) {
    return absl::InvalidArgumentError("sound id: not a number");
  }
  request->mutable_sound()->set_id(id);
  return absl::OkStatus();
}

}  // namespace

void HttpApi::Impl::Routes() {
  const QueryService* q = b_.query;
  server_.Get("/api/openapi.json", [](const httplib::Request&,
                                      httplib::Response& res) {
    const WebAsset* asset = FindWebAsset("/api/openapi.json");
    if (asset == nullptr) {
      SendError(res, absl::NotFoundError("no openapi.json"));
      return;
    }
    res.set_content(std::string(asset->data, asset->size), asset->content_type);
  });
  server_.Get("/api/spaces", [this, q](const httplib::Request& http,
                                       httplib::Response& res) {
    Serve<v1::ListSpacesRequest, v1::ListSpacesResponse>(
        http, res, "ListSpaces", nullptr, [q](auto* a, auto* b, absl::Time) {
          return q->AnswerListSpaces(a, b);
        });
  });
  server_.Get("/api/stats", [this, q](const httplib::Request& http,
                                      httplib::Response& res) {
    Serve<v1::StatsRequest, v1::StatsResponse>(
        http, res, "Stats", nullptr,
        [q](auto* a, auto* b, absl::Time) { return q->AnswerStats(a, b); });
  });
  server_.Get("/api/evaluation", [this](const httplib::Request& http,
                                        httplib::Response& res) {
    const EvaluationService* e = b_.evaluation;
    Serve<v1::GetEvaluationRequest, v1::EvaluateResponse>(
        http, res, "GetEvaluation", nullptr, [e](auto* a, auto* b, absl::Time) {
          return e->AnswerGetEvaluation(a, b);
        });
  });
  server_.Get("/api/jobs", [this](const httplib::Request& http,
                                  httplib::Response& res) {
    std::string body;
    absl::Status status = Run(http, "GetJob", [this, &body](absl::Time) {
      std::vector<std::string> jobs;
      for (const JobStatus& job : b_.ingest_ctx->jobs->List()) {
        v1::Job proto;
        ToProto(job, &proto);
        jobs.push_back(ToJson(proto));
      }
      body = absl::StrCat("{\"jobs\":[", absl::StrJoin(jobs, ","), "]}");
      return absl::OkStatus();
    });
    if (!status.ok()) return SendError(res, status);
    res.set_content(body, "application/json");
  });
  // ListSounds by query string (GET) or JSON body (POST): one handler.
  auto list_sounds = [this, q](const httplib::Request& http,
                               httplib::Response& res) {
    Serve<v1::ListSoundsRequest, v1::ListSoundsResponse>(
        http, res, "ListSounds", nullptr, [q](auto* a, auto* b, absl::Time) {
          return q->AnswerListSounds(a, b);
        });
  };
  server_.Get("/api/sounds", list_sounds);
  server_.Post("/api/sounds/list", list_sounds);
  server_.Get(R"(/api/sounds/(\d+))", [this, q](const httplib::Request& http,
                                                httplib::Response& res) {
    Serve<v1::GetSoundRequest, v1::Sound>(
        http, res, "GetSound", &SoundFromPath,
        [q](auto* a, auto* b, absl::Time) { return q->AnswerGetSound(a, b); });
  });
  // The preview: the whole MP3, or the byte ranges asked for (Range:
  // 206 Partial Content, so that an <audio> element can seek).
  server_.Get(R"(/api/sounds/(\d+)/preview)",
              [this](const httplib::Request& http, httplib::Response& res) {
                uint64_t id = 0;
                std::string bytes;
                absl::Status status =
                    absl::SimpleAtoi(http.matches[1].str(), &id)
                        ? Run(
                              http, "GetSound",
                              [this, id, &bytes](absl::Time) -> absl::Status {
                                ASSIGN_OR_RETURN(
                                    bytes,
                                    b_.query_ctx->collection->GetPreview(id));
                                return absl::OkStatus();
                              },
                              /*token_in_query=*/true)
                        : absl::InvalidArgumentError("sound id: not a number");
                if (!status.ok()) return SendError(res, status);
                res.set_header("Cache-Control", "max-age=3600");
                res.set_content(std::move(bytes), kPreviewContentType);
              });
  // Previews for sounds that have none (Ingest.AddPreview): the audio again
  // as the body or the multipart part `file`; `?replace=true` remakes one.
  // PUT names the sound; POST finds it by the content hash of the bytes.
  const IngestContext* ingest = b_.ingest_ctx;
  auto add_preview = [ingest](const v1::AddPreviewRequest* a,
                              v1::AddPreviewResponse* b, absl::Time) {
    return IngestService::AnswerAddPreview(*ingest, *a, b);
  };
  server_.Put(R"(/api/sounds/(\d+)/preview)",
              [this, add_preview](const httplib::Request& http,
                                  httplib::Response& res) {
                Serve<v1::AddPreviewRequest, v1::AddPreviewResponse>(
                    http, res, "AddPreview", &PreviewFromPath, add_preview);
              });
  server_.Post("/api/previews",
               [this, add_preview](const httplib::Request& http,
                                   httplib::Response& res) {
                 Serve<v1::AddPreviewRequest, v1::AddPreviewResponse>(
                     http, res, "AddPreview", nullptr, add_preview);
               });
  server_.Get(R"(/api/sounds/(\d+)/waveform\.png)",
              [this](const httplib::Request& http, httplib::Response& res) {
                uint64_t id = 0;
                std::string png;
                absl::Status status =
                    absl::SimpleAtoi(http.matches[1].str(), &id)
                        ? Run(
                              http, "GetSound",
                              [this, id, &png](absl::Time) -> absl::Status {
                                ASSIGN_OR_RETURN(png, Waveform(id));
                                return absl::OkStatus();
                              },
                              /*token_in_query=*/true)
                        : absl::InvalidArgumentError("sound id: not a number");
                if (!status.ok()) return SendError(res, status);
                res.set_header("Cache-Control", "max-age=3600");
                res.set_content(std::move(png), "image/png");
              });
  server_.Get(R"(/api/sounds/(\d+)/describe)",
              [this, q](const httplib::Request& http, httplib::Response& res) {
                Serve<v1::DescribeSoundRequest, v1::DescribeSoundResponse>(
                    http, res, "DescribeSound", &DescribeFromPath,
                    [q](auto* a, auto* b, absl::Time deadline) {
                      return q->AnswerDescribeSound(a, b, deadline);
                    });
              });
  server_.Post("/api/describe",
               [this, q](const httplib::Request& http, httplib::Response& res) {
                 Serve<v1::DescribeSoundRequest, v1::DescribeSoundResponse>(
                     http, res, "DescribeSound", nullptr,
                     [q](auto* a, auto* b, absl::Time deadline) {
                       return q->AnswerDescribeSound(a, b, deadline);
                     });
               });
  auto query = [this, q](const httplib::Request& http, httplib::Response& res) {
    Serve<v1::QueryByExampleRequest, v1::QueryByExampleResponse>(
        http, res, "QueryByExample", nullptr,
        [q](const v1::QueryByExampleRequest* a, v1::QueryByExampleResponse* b,
            absl::Time deadline) {
          return q->RunQuery(*a, deadline, nullptr, b);
        });
  };
  server_.Get("/api/query", query);
  server_.Post("/api/query", query);
  auto search = [this, q](const httplib::Request& http,
                          httplib::Response& res) {
    Serve<v1::QueryByTextRequest, v1::QueryByTextResponse>(
        http, res, "QueryByText", nullptr, [q](auto* a, auto* b, absl::Time) {
          return q->AnswerQueryByText(a, b);
        });
  };
  server_.Get("/api/search", search);
  server_.Post("/api/search", search);
  // The page and its files (server/web/, embedded).
  server_.Get(R"(/(|index\.html|collection|static/[A-Za-z0-9_.\-]+))",
              [](const httplib::Request& http, httplib::Response& res) {
                std::string path = http.path;
                if (path == "/" || path == "/collection") path = "/index.html";
                const WebAsset* asset = FindWebAsset(path);
                if (asset == nullptr) {
                  res.status = 404;
                  res.set_content("not found\n", "text/plain");
                  return;
                }
                res.set_header("Cache-Control", "no-cache");
                res.set_content(std::string(asset->data, asset->size),
                                asset->content_type);
              });
  // Unknown routes and the library's own errors (413 for a body over the
  // limit) get the same JSON error as the handlers' errors.
  server_.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty())
          return httplib::Server::HandlerResponse::Unhandled;
        absl::Status status;
        switch (res.status) {
          case 404:
            status = absl::NotFoundError("no such route");
            break;
          case 413:
            status = absl::ResourceExhaustedError(
                "request body is larger than the server accepts "
                "(--max-upload-bytes)");
            break;
          case 400:
            status = absl::InvalidArgumentError("bad HTTP request");
            break;
          default:
            status = absl::UnknownError(absl::StrCat("HTTP ", res.status));
        }
        const int code = res.status;
        res.set_content(HttpErrorJson(status), "application/json");
        res.status = code;
        return httplib::Server::HandlerResponse::Handled;
      }));
  server_.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        SendError(res, absl::InternalError("internal error"));
      });
}

absl::Status HttpApi::Impl::Start() {
  const size_t colon = options_.listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(options_.listen.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--http-listen must be host:port, got '", options_.listen, "'"));
  }
  std::string host = options_.listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  ASSIGN_OR_RETURN(decoder_, AudioDecoder::Create(AudioDecoderOptions()));
  const int threads = options_.threads;
  server_.new_task_queue = [threads] {
    return new httplib::ThreadPool(threads);
  };
  // base64 JSON of the largest upload, plus room for the other fields.
  server_.set_payload_max_length(
      static_cast<size_t>(options_.max_upload_bytes / 3 * 4 + (1 << 20)));
  // Small JSON answers: no Nagle delay waiting for the client's ACK.
  server_.set_tcp_nodelay(true);
  Routes();
  if (port == 0) {
    port_ = server_.bind_to_any_port(host);
  } else if (server_.bind_to_port(host, port)) {
    port_ = port;
  }
  if (port_ <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options_.listen,
                     " for HTTP (--http-listen: address in use or invalid)"));
  }
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  return absl::OkStatus();
}

void HttpApi::Impl::Stop() {
  if (stopped_) return;
  stopped_ = true;
  // stop() before the serving thread reached listen would be lost.
  for (int i = 0; i < 5000 && thread_.joinable() && !server_.is_running();
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  server_.stop();
  if (thread_.joinable()) thread_.join();
}

HttpApi::HttpApi(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpApi::~HttpApi() { Stop(); }

absl::StatusOr<std::unique_ptr<HttpApi>> HttpApi::Start(
    const HttpApiOptions& options, const HttpApiBackends& backends) {
  auto impl = std::make_unique<Impl>(options, backends);
  RETURN_IF_ERROR(impl->Start());
  return std::unique_ptr<HttpApi>(new HttpApi(std::move(impl)));
}

int HttpApi::port() const { return impl_->port_; }
void HttpApi::Stop() { impl_->Stop(); }

}  // namespace soundsearch
