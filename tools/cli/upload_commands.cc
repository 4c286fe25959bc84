// `add` and `index`: one file, or every audio file of a folder or a
// manifest, several in flight, with a progress bar and a summary.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "soundsearch/manifest.h"
#include "soundsearch/text.h"
#include "tools/cli/commands.h"
#include "tools/cli/progress_bar.h"

namespace soundsearch::cli {

int CmdAdd(Client& client, const Args& args) {
  if (args.positional.size() != 1) throw UsageError("add: give one FILE");
  const std::string& path = args.positional[0];
  auto bytes = ReadFile(path);
  if (!bytes) {
    std::fprintf(stderr, "soundsearch: cannot read %s\n", path.c_str());
    return kExitUsage;
  }
  v1::SoundFields fields;
  fields.set_external_id(args.Get("external-id"));
  // File names are bytes: a name that is not UTF-8 is sent escaped (text.h).
  fields.set_name(args.Get(
      "name", EscapeFileName(std::filesystem::path(path).stem().string())));
  for (const auto& t : SplitCsvList(args.Get("tags"))) fields.add_tags(t);
  for (const auto& l : SplitCsvList(args.Get("labels"))) fields.add_labels(l);
  v1::AddSoundResponse response;
  grpc::Status status = client.AddBytes(
      *bytes, fields,
      EscapeFileName(std::filesystem::path(path).filename().string()),
      &response);
  if (!status.ok()) return Fail(status);
  if (client.globals().json) {
    std::printf("%s\n", ToJson(response).c_str());
  } else {
    std::printf("%s id %llu\n",
                response.duplicate() ? "duplicate of" : "stored",
                static_cast<unsigned long long>(response.id()));
  }
  return kExitOk;
}

namespace {

bool IsAudioFile(const std::filesystem::path& path) {
  static const char* kExtensions[] = {".wav", ".wave", ".flac", ".mp3",  ".ogg",
                                      ".oga", ".opus", ".m4a",  ".mp4",  ".aac",
                                      ".aif", ".aiff", ".aifc", ".webm", ".mka",
                                      ".caf", ".wma",  ".au",   ".snd"};
  std::string ext = absl::AsciiStrToLower(path.extension().string());
  for (const char* e : kExtensions) {
    if (ext == e) return true;
  }
  return false;
}

}  // namespace

int CmdIndex(Client& client, const Args& args) {
  std::vector<ManifestRow> rows;
  std::filesystem::path base;
  if (args.Has("encoding") && !args.Has("manifest")) {
    throw UsageError("index: --encoding goes with --manifest");
  }
  if (args.Has("manifest")) {
    auto encoding = ParseTextEncoding(args.Get("encoding"));
    if (!encoding.ok()) {
      throw UsageError(
          absl::StrCat("index: --encoding: ", encoding.status().message()));
    }
    ManifestOptions manifest_options;
    manifest_options.encoding = *encoding;
    auto parsed = ReadManifest(args.Get("manifest"), manifest_options);
    if (!parsed.ok()) {
      std::fprintf(stderr, "soundsearch: %s\n",
                   std::string(parsed.status().message()).c_str());
      return kExitUsage;
    }
    rows = *std::move(parsed);
    base = args.Has("audio-dir")
               ? std::filesystem::path(args.Get("audio-dir"))
               : std::filesystem::path(args.Get("manifest")).parent_path();
  } else {
    if (args.positional.size() != 1) {
      throw UsageError("index: give DIR or --manifest CSV");
    }
    base = args.positional[0];
    std::error_code ec;
    if (!std::filesystem::is_directory(base, ec)) {
      std::fprintf(stderr, "soundsearch: %s is not a directory\n",
                   base.string().c_str());
      return kExitUsage;
    }
    for (auto it = std::filesystem::recursive_directory_iterator(base, ec);
         !ec && it != std::filesystem::recursive_directory_iterator();
         it.increment(ec)) {
      if (it->is_regular_file() && IsAudioFile(it->path())) {
        ManifestRow row;
        row.fname = std::filesystem::relative(it->path(), base).string();
        rows.push_back(std::move(row));
      }
    }
    std::sort(rows.begin(), rows.end(),
              [](const ManifestRow& a, const ManifestRow& b) {
                return a.fname < b.fname;
              });
  }
  int jobs = 4;
  if (args.Has("jobs") &&
      (!absl::SimpleAtoi(args.Get("jobs"), &jobs) || jobs < 1 || jobs > 64)) {
    throw UsageError("--jobs must be in [1, 64]");
  }

  struct Failure {
    std::string file, code, message;
  };
  std::mutex mu;
  std::vector<Failure> failures;
  int64_t stored = 0, duplicates = 0, done = 0;
  bool unreachable = false;
  std::atomic<size_t> next{0};
  const bool terminal = !client.globals().json && isatty(fileno(stderr));
  ProgressBar progress(static_cast<int64_t>(rows.size()), stderr, terminal);
  const auto start = std::chrono::steady_clock::now();

  auto worker = [&] {
    for (size_t i = next++; i < rows.size(); i = next++) {
      const ManifestRow& row = rows[i];
      // A transcoded manifest names the file in UTF-8; on disk it may still
      // carry the manifest's own bytes.
      std::string on_disk = row.fname;
      std::error_code ec;
      if (!row.fname_in_manifest.empty() &&
          !std::filesystem::exists(base / on_disk, ec) &&
          std::filesystem::exists(base / row.fname_in_manifest, ec)) {
        on_disk = row.fname_in_manifest;
      }
      const std::filesystem::path path = base / on_disk;
      v1::AddSoundResponse response;
      grpc::Status status;
      std::optional<std::string> bytes;
      if (!row.error.ok()) {
        status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                              std::string(row.error.message()));
      } else if (bytes = ReadFile(path.string()); !bytes) {
        status = grpc::Status(grpc::StatusCode::NOT_FOUND,
                              "cannot read " + EscapeFileName(path.string()));
      } else {
        v1::SoundFields fields;
        fields.set_external_id(row.external_id);
        fields.set_name(
            row.name.empty()
                ? EscapeFileName(
                      std::filesystem::path(row.fname).stem().string())
                : row.name);
        for (const auto& t : row.tags) fields.add_tags(t);
        for (const auto& l : row.labels) fields.add_labels(l);
        // A full server queue is transient: back off and retry a few times.
        for (int attempt = 0; attempt < 50; ++attempt) {
          status = client.AddBytes(*bytes, fields, EscapeFileName(on_disk),
                                   &response);
          if (status.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED ||
              IsUploadTooLarge(status)) {
            break;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      ++done;
      if (status.ok()) {
        (response.duplicate() ? duplicates : stored)++;
      } else {
        if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
          unreachable = true;
        }
        // Folder rows carry the file's bytes; manifest rows are UTF-8.
        failures.push_back(
            {IsValidUtf8(row.fname) ? row.fname : EscapeFileName(row.fname),
             CodeName(status.error_code()), status.error_message()});
      }
      if (!client.globals().json) progress.Update(done);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < jobs; ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (!client.globals().json) progress.Finish(done);

  if (client.globals().json) {
    std::string out = absl::StrCat(
        "{\"total\":", rows.size(), ",\"stored\":", stored,
        ",\"duplicates\":", duplicates, ",\"failed\":", failures.size(),
        ",\"seconds\":", seconds, ",\"failures\":[");
    for (size_t i = 0; i < failures.size(); ++i) {
      v1::JobFailure f;  // reuse protobuf's JSON string escaping
      f.set_fname(failures[i].file);
      f.set_code(failures[i].code);
      f.set_message(failures[i].message);
      absl::StrAppend(&out, i ? "," : "", ToJson(f));
    }
    std::printf("%s]}\n", out.c_str());
  } else {
    std::printf(
        "indexed %zu files in %.1fs: %lld stored, %lld duplicate, "
        "%zu failed\n",
        rows.size(), seconds, static_cast<long long>(stored),
        static_cast<long long>(duplicates), failures.size());
    for (const Failure& f : failures) {
      std::printf("  failed %s: %s: %s\n", f.file.c_str(), f.code.c_str(),
                  f.message.c_str());
    }
  }
  if (unreachable && stored + duplicates == 0) return kExitUnreachable;
  return failures.empty() ? kExitOk : kExitServerError;
}

}  // namespace soundsearch::cli
