// The therapist's safety panel, kept current by the server's `safety` event (sent on joining
// and whenever the client confirms or changes where they are), and the emergency numbers of
// the client's country in the help panel and the waiting room. Numbers come from the server's
// table (portal/core/emergency.py); nothing here assumes a country.
const $ = (id) => document.getElementById(id);

function telLink(number, tel, kind = "call", body = null) {
  const a = document.createElement("a");
  const scheme = kind === "text" ? "sms" : "tel";
  a.href = `${scheme}:${tel || number}${kind === "text" && body ? `&body=${encodeURIComponent(body)}` : ""}`;
  a.textContent = number;
  return a;
}

// "988 Suicide & Crisis Lifeline" next to its own number reads "Suicide & Crisis Lifeline".
const label = (n) => (n.label.startsWith(`${n.number} `) ? n.label.slice(n.number.length + 1) : n.label);

// One line per number: "911: Emergency services" (texting lines say "Text HOME to 741741").
function numberItem(n) {
  const li = document.createElement("li");
  if (n.kind === "text") li.append(`Text ${n.body ? `${n.body} to ` : ""}`, telLink(n.number, n.tel, "text", n.body), `: ${label(n)}`);
  else li.append(telLink(n.number, n.tel), `: ${label(n)}${n.kind === "call_or_text" ? ", call or text" : ""}`);
  return li;
}

// Show an emergency object ({country_name, primary, local_text, numbers}) everywhere it appears.
export function showEmergency(emergency) {
  if (!emergency) return;
  const numbers = emergency.numbers || [];
  const list = $("help-numbers");
  if (list) {
    list.replaceChildren(...numbers.map(numberItem));
    if (!emergency.primary) {
      const li = document.createElement("li");
      li.textContent = `In an emergency, call ${emergency.local_text || "the local emergency number"}.`;
      list.prepend(li);
    }
  }
  const facts = $("safety-numbers");
  if (facts) {
    facts.replaceChildren(emergency.country_name ? `${emergency.country_name}: ` : "");
    if (!emergency.primary) facts.append(emergency.local_text || "the local emergency number");
    else numbers.forEach((n, i) => facts.append(i ? " · " : "", telLink(n.number, n.tel, n.kind, n.body), ` ${label(n)}`));
  }
  document.querySelectorAll("[data-crisis-inline]").forEach((span) => {
    const calls = numbers.filter((n) => n.kind !== "text").slice(0, 2);
    span.replaceChildren("call ");
    calls.forEach((n, i) => span.append(i ? " or " : "", telLink(n.number, n.tel)));
    span.append(calls.length ? "." : `${emergency.local_text || "the local emergency number"}.`);
  });
}

// The `safety` event: {confirmed_at, location, phone, emergency_contact, emergency}.
export function showSafety(msg, clientName) {
  if (!msg || !$("safety-location")) return;
  $("safety-location").textContent = msg.location || "Not given yet";
  const phone = $("safety-phone");
  phone.replaceChildren(msg.phone ? telLink(msg.phone, msg.phone) : "Not given yet");
  const c = msg.emergency_contact;
  const contact = $("safety-contact");
  contact.replaceChildren(c?.name || "Not in intake");
  if (c?.relation) contact.append(` (${c.relation})`);
  if (c?.phone) contact.append(", ", telLink(c.phone, c.phone));
  $("safety-updated").textContent = msg.confirmed_at
    ? `Confirmed by ${clientName} at ${new Date(msg.confirmed_at).toLocaleTimeString([], { hour: "numeric", minute: "2-digit" })}. This updates by itself.`
    : `${clientName} has not confirmed where they are yet. This updates by itself.`;
  showEmergency(msg.emergency);
}
