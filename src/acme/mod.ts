/** Automatic certificates over ACME (RFC 8555): the manager main.ts starts, and the challenge answers the public listeners give. */
export { ACME_TLS_ALPN, AcmeChallenges } from "./challenges.ts";
export { AcmeClient, AcmeError } from "./client.ts";
export { accountKeyGenerate, jwkThumbprint, keyAuthorization } from "./jws.ts";
export {
  type AnswerableChallenge,
  type AttemptOutcome,
  CertificateManager,
  type CertificateManagerOptions,
  type CertificateStatus,
} from "./manager.ts";
export { certificateNames } from "./names.ts";
