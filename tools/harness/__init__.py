"""Process and broker helpers shared by the tests (`tests/support`) and the benchmark suite
(`tools/bench`): free loopback ports, a throwaway local Kafka broker, and the product run as
`python -m rollwatch COMMAND` in a child process of its own. Never imported by the product."""
