// The chat panel. Messages are relayed by the server to the other participant and never stored
// there. This tab keeps them in sessionStorage, under the call's key, so a reload during the
// call shows them again; the end of the call removes them.
const $ = (id) => document.getElementById(id);

// `role` is ours ("therapist" or "client"); `key`: the call's storage key; `send(event, payload)`
// resolves to the server's ack; `onMessage(fromMe)`: a message arrived (for the unread mark).
export function createChat({ role, key, peerLabel, send, onMessage = () => {} }) {
  const log = $("chat-log");

  function stored() {
    try { return JSON.parse(sessionStorage.getItem(key) || "[]"); } catch { return []; }
  }

  function render(msg) {
    const item = document.createElement("li");
    const who = document.createElement("strong");
    who.textContent = msg.from === role ? "You" : peerLabel;
    item.append(who, `: ${msg.text}`);
    log.append(item);
    log.scrollTop = log.scrollHeight;
  }

  $("chat-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = $("chat-text");
    const text = input.value.trim();
    if (!text) return;
    const res = await send("chat", { text });
    if (res?.ok) input.value = ""; // keep the text if the server did not take it
  });

  stored().forEach(render);

  return {
    // A message from the server ({from, text, at}); ours come back too and read "You".
    add(msg) {
      if (typeof msg?.text !== "string") return;
      const kept = { from: msg.from, text: msg.text, at: msg.at || null };
      try { sessionStorage.setItem(key, JSON.stringify([...stored(), kept])); } catch { /* full: show only */ }
      render(kept);
      onMessage(msg.from === role);
    },
    // The call is over: nothing stays behind in this tab.
    clear() {
      sessionStorage.removeItem(key);
      log.replaceChildren();
    },
  };
}
