// The chat panel. Messages are relayed by the server to the other participant and never stored;
// they disappear when the call ends.
const $ = (id) => document.getElementById(id);

// `role` is ours ("therapist" or "client"); `send(event, payload)` resolves to the server's ack.
export function createChat({ role, send }) {
  $("chat-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = $("chat-text");
    const text = input.value.trim();
    if (!text) return;
    const res = await send("chat", { text });
    if (res?.ok) input.value = ""; // keep the text if the server did not take it
  });

  // Show a message from the server ({from, text}); ours come back too and read "You".
  function add(msg) {
    const item = document.createElement("li");
    const who = msg.from === role ? "You" : (msg.from === "therapist" ? "Therapist" : "Client");
    item.textContent = `${who}: ${msg.text}`;
    $("chat-log").append(item);
  }

  return { add };
}
