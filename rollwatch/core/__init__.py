"""The core every service stands on: settings, topic names, the ClickHouse client factory and
migrations, Kafka stream settings, the local broker, API keys and the HTTP error shape. It imports
only `schemas` and libraries, never a service."""
