#!/usr/bin/python3
"""A Python web backend's view of soundsearch: add a sound, query by example.

Uses Debian's python3-grpcio. The protobuf/gRPC stubs are generated from
proto/ on first use (protoc + grpc_python_plugin from protobuf-compiler-grpc)
into examples/python/gen/.

    examples/python/soundsearch_client.py --server 127.0.0.1:50051 add FILE --labels dog
    examples/python/soundsearch_client.py query FILE -k 5
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
GEN = os.path.join(HERE, "gen")


def load_stubs():
    """Generates (once) and imports the v1 stubs."""
    marker = os.path.join(GEN, "soundsearch", "v1", "query_pb2_grpc.py")
    if not os.path.exists(marker):
        os.makedirs(GEN, exist_ok=True)
        protos = [os.path.join("soundsearch", "v1", name)
                  for name in ("common.proto", "ingest.proto", "query.proto")]
        subprocess.run(
            ["protoc", "-I", os.path.join(REPO, "proto"), f"--python_out={GEN}",
             f"--grpc_out={GEN}", "--plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin",
             *protos], check=True)
        for d in (os.path.join(GEN, "soundsearch"), os.path.join(GEN, "soundsearch", "v1")):
            open(os.path.join(d, "__init__.py"), "a").close()
    sys.path.insert(0, GEN)
    from soundsearch.v1 import ingest_pb2, ingest_pb2_grpc, query_pb2, query_pb2_grpc, common_pb2
    return common_pb2, ingest_pb2, ingest_pb2_grpc, query_pb2, query_pb2_grpc


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
    query = sub.add_parser("query")
    query.add_argument("file")
    query.add_argument("-k", type=int, default=15)
    query.add_argument("--space", default="")
    args = parser.parse_args()

    import grpc
    common_pb2, ingest_pb2, ingest_pb2_grpc, query_pb2, query_pb2_grpc = load_stubs()
    channel = grpc.insecure_channel(args.server, options=[
        ("grpc.max_send_message_length", 128 << 20),
        ("grpc.max_receive_message_length", 128 << 20)])
    metadata = [("authorization", f"Bearer {args.token}")] if args.token else []
    with open(args.file, "rb") as f:
        audio = f.read()
    try:
        if args.command == "add":
            fields = common_pb2.SoundFields(
                external_id=args.external_id,
                labels=[l for l in args.labels.split(",") if l],
                tags=[t for t in args.tags.split(",") if t])
            reply = ingest_pb2_grpc.IngestStub(channel).AddSound(
                ingest_pb2.AddSoundRequest(audio=audio, fields=fields,
                                           filename=os.path.basename(args.file)),
                metadata=metadata, timeout=60)
            print(json.dumps({"id": reply.id, "duplicate": reply.duplicate}))
        else:
            reply = query_pb2_grpc.QueryStub(channel).QueryByExample(
                query_pb2.QueryByExampleRequest(audio=audio, k=args.k, space=args.space),
                timeout=60)
            print(json.dumps({"space": reply.space, "results": [
                {"id": r.id, "score": round(r.score, 6), "name": r.sound.name,
                 "labels": list(r.sound.labels)} for r in reply.results]}))
    except grpc.RpcError as e:
        print(f"soundsearch: {e.code().name}: {e.details()}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
