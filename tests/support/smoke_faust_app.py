"""A minimal Faust app for the smoke test: counts records per key in a table and echoes the count.

Configured by environment so the test can point it at its own broker and topics.
"""

import os

import faust

app = faust.App(
    os.environ["SMOKE_APP_ID"],
    broker=f"kafka://{os.environ['KAFKA_BOOTSTRAP_SERVERS']}",
    store="memory://",
    web_enabled=False,
    topic_partitions=1,
    datadir=os.environ["SMOKE_DATA_DIR"],
)
source = app.topic(
    os.environ["SMOKE_SOURCE"], key_type=bytes, value_type=bytes, value_serializer="raw", key_serializer="raw"
)
sink = app.topic(
    os.environ["SMOKE_SINK"], key_type=bytes, value_type=bytes, value_serializer="raw", key_serializer="raw"
)
counts = app.Table("smoke-counts", default=int, partitions=1)


@app.agent(source, concurrency=1)
async def count(stream):
    async for key, value in stream.items():
        counts[key] += 1
        await sink.send(key=key, value=b"%s:%d" % (value, counts[key]))


if __name__ == "__main__":
    app.main()
