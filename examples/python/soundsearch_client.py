#!/usr/bin/python3
"""A Python web backend's view of soundsearch: add, query by examples and by text, list, describe.

Uses Debian's python3-grpcio. The protobuf/gRPC stubs are generated from
proto/ on first use (protoc + grpc_python_plugin from protobuf-compiler-grpc)
into examples/python/gen/, again whenever a .proto is newer.

    examples/python/soundsearch_client.py --server 127.0.0.1:50051 add FILE --labels dog --tags bark
    examples/python/soundsearch_client.py query A.wav B.wav --not C.wav -k 5 [--strategy best_score]
    examples/python/soundsearch_client.py query --id 12 --offset 15
    examples/python/soundsearch_client.py search "dog barking" -k 5 [--page-token T]
    examples/python/soundsearch_client.py list --labels-any dog [--page-token T]
    examples/python/soundsearch_client.py export            # every sound, one JSON object a line
    examples/python/soundsearch_client.py describe FILE | --id N
"""
import argparse
import glob
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
GEN = os.path.join(HERE, "gen")
PROTO_NAMES = ("common.proto", "ingest.proto", "query.proto")


def load_stubs():
    """Generates (when missing or older than the protos) and imports the v1 stubs."""
    marker = os.path.join(GEN, "soundsearch", "v1", "query_pb2_grpc.py")
    protos = [os.path.join("soundsearch", "v1", name) for name in PROTO_NAMES]
    newest = max(os.path.getmtime(os.path.join(REPO, "proto", p)) for p in protos)
    if not os.path.exists(marker) or os.path.getmtime(marker) < newest:
        os.makedirs(GEN, exist_ok=True)
        for old in glob.glob(os.path.join(GEN, "soundsearch", "v1", "*_pb2*.py")):
            os.remove(old)
        subprocess.run(
            ["protoc", "-I", os.path.join(REPO, "proto"), f"--python_out={GEN}",
             f"--grpc_out={GEN}", "--plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin",
             *protos], check=True)
        for d in (os.path.join(GEN, "soundsearch"), os.path.join(GEN, "soundsearch", "v1")):
            open(os.path.join(d, "__init__.py"), "a").close()
    sys.path.insert(0, GEN)
    from soundsearch.v1 import ingest_pb2, ingest_pb2_grpc, query_pb2, query_pb2_grpc, common_pb2
    return common_pb2, ingest_pb2, ingest_pb2_grpc, query_pb2, query_pb2_grpc


def read(path):
    with open(path, "rb") as f:
        return f.read()


def csv(value):
    return [v for v in value.split(",") if v]


def results_json(reply):
    """The fields a web page shows of ranked results."""
    return [{"id": r.id, "score": round(r.score, 6), "name": r.sound.name,
             "labels": list(r.sound.labels),
             "sources": {s.source: {"score": round(s.score, 6), "rank": s.rank}
                         for s in r.sources}}
            for r in reply.results]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="127.0.0.1:50051")
    parser.add_argument("--token", default=os.environ.get("SOUNDSEARCH_TOKEN", ""))
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add")
    add.add_argument("file")
    add.add_argument("--external-id", default="")
    add.add_argument("--labels", default="")
    add.add_argument("--tags", default="")
    query = sub.add_parser("query", help="by one or several examples, for and against")
    query.add_argument("files", nargs="*")
    query.add_argument("--id", action="append", type=int, default=[])
    query.add_argument("--not", dest="negative", action="append", default=[])
    query.add_argument("--strategy", choices=["average", "best_score"], default="average")
    query.add_argument("-k", type=int, default=15)
    query.add_argument("--offset", type=int, default=0)
    query.add_argument("--page-token", default="")
    query.add_argument("--space", default="")
    search = sub.add_parser("search", help="by text")
    search.add_argument("text")
    search.add_argument("-k", type=int, default=15)
    search.add_argument("--page-token", default="")
    search.add_argument("--space", default="")
    listing = sub.add_parser("list", help="one page of the sounds, by id")
    listing.add_argument("--labels-any", default="")
    listing.add_argument("--min-duration", type=float)
    listing.add_argument("--page-size", type=int, default=100)
    listing.add_argument("--page-token", default="")
    sub.add_parser("export", help="every sound, one JSON object a line")
    describe = sub.add_parser("describe", help="nearest words, top classes")
    describe.add_argument("file", nargs="?")
    describe.add_argument("--id", type=int, default=0)
    args = parser.parse_args()

    import grpc
    common_pb2, ingest_pb2, ingest_pb2_grpc, query_pb2, query_pb2_grpc = load_stubs()
    channel = grpc.insecure_channel(args.server, options=[
        ("grpc.max_send_message_length", 128 << 20),
        ("grpc.max_receive_message_length", 128 << 20)])
    metadata = [("authorization", f"Bearer {args.token}")] if args.token else []
    stub = query_pb2_grpc.QueryStub(channel)
    try:
        if args.command == "add":
            fields = common_pb2.SoundFields(
                external_id=args.external_id, labels=csv(args.labels), tags=csv(args.tags))
            reply = ingest_pb2_grpc.IngestStub(channel).AddSound(
                ingest_pb2.AddSoundRequest(audio=read(args.file), fields=fields,
                                           filename=os.path.basename(args.file)),
                metadata=metadata, timeout=60)
            print(json.dumps({"id": reply.id, "duplicate": reply.duplicate}))
        elif args.command == "query":
            positive = [query_pb2.QueryExample(audio=read(f)) for f in args.files]
            positive += [query_pb2.QueryExample(id=i) for i in args.id]
            negative = [query_pb2.QueryExample(audio=read(f)) for f in args.negative]
            strategy = (query_pb2.EXAMPLE_STRATEGY_BEST_SCORE if args.strategy == "best_score"
                        else query_pb2.EXAMPLE_STRATEGY_AVERAGE)
            reply = stub.QueryByExample(
                query_pb2.QueryByExampleRequest(
                    positive=positive, negative=negative, strategy=strategy, k=args.k,
                    offset=args.offset, page_token=args.page_token, space=args.space),
                timeout=60)
            print(json.dumps({"space": reply.space, "offset": reply.offset,
                              "next_page_token": reply.next_page_token,
                              "results": results_json(reply)}))
        elif args.command == "search":
            reply = stub.QueryByText(
                query_pb2.QueryByTextRequest(text=args.text, k=args.k,
                                             page_token=args.page_token, space=args.space),
                timeout=60)
            print(json.dumps({
                "space": reply.space, "class_space": reply.class_space,
                "words": [{"text": w.text, "word": w.word} for w in reply.words],
                "classes": [{"name": c.name, "weight": round(c.weight, 4)} for c in reply.classes],
                "unmatched": list(reply.unmatched),
                "next_page_token": reply.next_page_token,
                "results": results_json(reply)}))
        elif args.command in ("list", "export"):
            request = query_pb2.ListSoundsRequest(page_size=1000)
            if args.command == "list":
                request.page_size = args.page_size
                request.page_token = args.page_token
                request.filter.labels_any.extend(csv(args.labels_any))
                if args.min_duration is not None:
                    request.filter.min_duration_seconds = args.min_duration
            while True:
                reply = stub.ListSounds(request, timeout=60)
                sounds = [{"id": s.id, "external_id": s.external_id, "name": s.name,
                           "labels": list(s.labels), "tags": list(s.tags),
                           "duration_seconds": s.duration_seconds} for s in reply.sounds]
                if args.command == "list":
                    print(json.dumps({"sounds": sounds,
                                      "next_page_token": reply.next_page_token}))
                    break
                for s in sounds:
                    print(json.dumps(s))
                if not reply.next_page_token:
                    break
                request.page_token = reply.next_page_token
        else:  # describe
            if args.file:
                request = query_pb2.DescribeSoundRequest(audio=read(args.file))
            elif args.id:
                request = query_pb2.DescribeSoundRequest(id=args.id)
            else:
                parser.error("describe: give FILE or --id N")
            reply = stub.DescribeSound(request, timeout=60)
            print(json.dumps({
                "space": reply.space, "class_space": reply.class_space,
                "words": [{"word": w.word, "cosine": round(w.cosine, 4)} for w in reply.words],
                "classes": [{"name": c.name, "score": round(c.score, 4)} for c in reply.classes],
                "auto_tags": [{"tag": t.tag, "probability": round(t.probability, 4)}
                              for t in reply.auto_tags]}))
    except grpc.RpcError as e:
        print(f"soundsearch: {e.code().name}: {e.details()}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
