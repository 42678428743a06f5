"""WeChat callbacks: approve from the chat (docs/wechat.md)."""
