"""Helpers the tests share: real services (Postgres databases, the Kafka broker) and builders."""
