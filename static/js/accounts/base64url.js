// base64url <-> bytes, and the JSON forms of WebAuthn options and credentials. Browsers that have
// PublicKeyCredential.parseCreationOptionsFromJSON and credential.toJSON() do the same; these few
// lines keep older Safari and Firefox working.

export function toBytes(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

export function fromBytes(buffer) {
  let binary = "";
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const descriptor = (d) => ({ ...d, id: toBytes(d.id) });

// The server's options (py_webauthn's options_to_json) as navigator.credentials.create() wants them.
export function creationOptions(json) {
  return {
    ...json,
    challenge: toBytes(json.challenge),
    user: { ...json.user, id: toBytes(json.user.id) },
    excludeCredentials: (json.excludeCredentials || []).map(descriptor),
  };
}

// The server's options as navigator.credentials.get() wants them.
export function requestOptions(json) {
  return {
    ...json,
    challenge: toBytes(json.challenge),
    allowCredentials: (json.allowCredentials || []).map(descriptor),
  };
}

// A new passkey, as the server reads it.
export function registrationJSON(credential) {
  const response = credential.response;
  return {
    id: credential.id,
    rawId: fromBytes(credential.rawId),
    type: credential.type,
    ...(credential.authenticatorAttachment ? { authenticatorAttachment: credential.authenticatorAttachment } : {}),
    response: {
      clientDataJSON: fromBytes(response.clientDataJSON),
      attestationObject: fromBytes(response.attestationObject),
      transports: typeof response.getTransports === "function" ? response.getTransports() : [],
    },
    clientExtensionResults: credential.getClientExtensionResults(),
  };
}

// A signed answer to a sign-in challenge, as the server reads it.
export function assertionJSON(credential) {
  const response = credential.response;
  return {
    id: credential.id,
    rawId: fromBytes(credential.rawId),
    type: credential.type,
    ...(credential.authenticatorAttachment ? { authenticatorAttachment: credential.authenticatorAttachment } : {}),
    response: {
      clientDataJSON: fromBytes(response.clientDataJSON),
      authenticatorData: fromBytes(response.authenticatorData),
      signature: fromBytes(response.signature),
      userHandle: response.userHandle ? fromBytes(response.userHandle) : null,
    },
    clientExtensionResults: credential.getClientExtensionResults(),
  };
}
