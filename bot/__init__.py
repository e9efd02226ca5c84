"""Channel adapters (terminal, Telegram, WeChat) and the settings table."""
