// Placeholder: this module is filled by its own issue.
enum BrokerModule {}
