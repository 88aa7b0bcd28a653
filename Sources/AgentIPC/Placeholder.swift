// Placeholder until the privsep branch commits AgentIPC (its merge deleted the old one).
enum AgentIPCModule {}
