-- wrk script for the endpoint benchmarks: authenticates every request and reports in JSON.
-- The token comes from the environment (PINGBACK_TOKEN), never from the command line.
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("PINGBACK_TOKEN") or "")

-- One JSON line the benchmark parses: totals, errors and latency percentiles in microseconds, and
-- wrk's own CPU seconds (os.clock: the whole process, every thread), so a benchmark can show the
-- load generator was not its bottleneck.
done = function(summary, latency, requests)
   local errors = summary.errors
   io.write(string.format(
      '{"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, "read_errors": %d, ' ..
      '"write_errors": %d, "status_errors": %d, "timeouts": %d, "p50_us": %d, "p90_us": %d, ' ..
      '"p99_us": %d, "max_us": %d, "mean_us": %.1f, "wrk_cpu_s": %.3f}\n',
      summary.requests, summary.duration, summary.bytes, errors.connect, errors.read, errors.write,
      errors.status, errors.timeout, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max, latency.mean, os.clock()))
end
