"""kafka-python's own cost per record, as the workers use it: CPU microseconds to send, flush and
poll one mention through a local broker.

    python benchmarks/kafka_client.py [--conversations 10000] [--batch 1000]

Starts a local Tansu broker and, in this process, sends the demo source's mentions (about 2 per
conversation) to `mentions.classified` through `KafkaBusProducer` in batches of `--batch`, each
ended by a flush as a worker ends its batch, then reads them back through `KafkaBusConsumer`.
Prints the process CPU per record for the sends (the main thread's work: the record
accumulator), for the flushes (mostly the client's network thread: requests, checksums, socket
writes) and for the polls after the first (which waits for the group to form). The broker's own
CPU is not counted. A Kafka end-to-end run pays one poll and one send per mention in the
classify worker, and one poll and about 1.6 sends (its case events) per post in the router.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from run import demo_mentions  # noqa: E402

from socialcare.stream.broker import start_tansu  # noqa: E402
from socialcare.stream.bus import PIPELINE_TOPICS, TOPIC_CLASSIFIED, OutMessage, open_bus  # noqa: E402
from socialcare.stream.worker import settle_heap  # noqa: E402


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    messages = [
        OutMessage(TOPIC_CLASSIFIED, m.conversation_id, m.to_json())
        for m in demo_mentions(args.conversations)
    ]
    broker = start_tansu(Path(tempfile.mkdtemp(prefix="kafka-client-")) / "tansu")
    try:
        bus = open_bus(broker.url)
        bus.ensure_topics(PIPELINE_TOPICS)
        producer = bus.producer()
        settle_heap()  # as a worker does once set up
        send_s = flush_s = 0.0
        for start in range(0, len(messages), args.batch):
            before = cpu_s()
            for message in messages[start : start + args.batch]:
                producer.send(message)
            sent = cpu_s()
            producer.flush()
            send_s += sent - before
            flush_s += cpu_s() - sent
        producer.close()
        consumer = bus.consumer("kafka-client-bench", [TOPIC_CLASSIFIED])
        read, first, started = 0, 0, 0.0
        deadline = time.monotonic() + 120
        while read < len(messages) and time.monotonic() < deadline:
            records = consumer.poll(2000, 1.0)
            if records and not first:
                first, started = len(records), cpu_s()
            read += len(records)
        poll_s = cpu_s() - started
        consumer.close()
    finally:
        broker.stop()
    n = len(messages)
    print(f"{n} records of {sum(len(m.value) for m in messages) // n} bytes, CPU per record:")
    print(f"  send  {send_s / n * 1e6:5.1f} µs")
    print(f"  flush {flush_s / n * 1e6:5.1f} µs")
    if read > first:
        print(f"  poll  {poll_s / (read - first) * 1e6:5.1f} µs ({read} read back)")
    else:
        print(f"  poll  not measured: {read} of {n} read back")


if __name__ == "__main__":
    main()
