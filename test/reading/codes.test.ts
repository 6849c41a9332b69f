/**
 * oneTimeCodes() (src/reading/codes.ts), table-driven: the code of a verification mail in each
 * language it knows, the forms codes take, and the numbers that are not codes.
 */
import { describe, expect, test } from "bun:test";
import { oneTimeCodes } from "../../src/reading/codes.ts";

const first = (subject: string, body: string) => oneTimeCodes(subject, body)[0]?.code;

describe("oneTimeCodes() finds the code", () => {
  const cases: Array<[language: string, subject: string, body: string, code: string]> = [
    ["en", "Sign in to Shop", "Your verification code is 482913. It expires in 10 minutes.", "482913"],
    ["en subject", "482913 is your Shop code", "", "482913"],
    ["en OTP", "Login", "OTP: 7731 (valid 5 min)", "7731"],
    ["en PIN", "Card", "Your new PIN is 4821.", "4821"],
    ["en passcode", "Access", "Use passcode 993 102?", "993102"],
    ["de", "Anmeldung", "Ihr Bestätigungscode lautet: 739 201. Gültig bis 12.05.2024 10:30.", "739201"],
    ["de TAN", "Überweisung", "Ihre TAN: 551903", "551903"],
    ["fr", "Connexion", "Votre code de vérification est 5512-8832.", "55128832"],
    ["es", "Verificación", "Tu código de verificación es 990112", "990112"],
    ["it", "Accesso", "Il tuo codice di verifica: 123987", "123987"],
    ["pt", "Acesso", "Seu código de verificação é 445566", "445566"],
    ["nl", "Inloggen", "Uw verificatiecode: 774411", "774411"],
    ["sv", "Inloggning", "Din verifieringskod är 318274", "318274"],
    ["da", "Log ind", "Din engangskode er 662019", "662019"],
    ["pl", "Logowanie", "Twój kod weryfikacyjny to 901274", "901274"],
    ["ru", "Вход", "Ваш код подтверждения: 246810", "246810"],
    ["ja", "ログイン", "認証コード：864209", "864209"],
    ["zh", "登录", "您的验证码是123456，5分钟内有效", "123456"],
    ["ko", "로그인", "인증번호 [736251]를 입력하세요", "736251"],
    ["alphanumeric", "Reset", "Your one-time password: X7K2M9Q", "X7K2M9Q"],
    ["alphanumeric grouped", "Recovery", "Recovery code: A7KQ-92XM", "A7KQ92XM"],
  ];
  for (const [language, subject, body, code] of cases) {
    test(`${language}: ${code}`, () => {
      expect(first(subject, body)).toBe(code);
    });
  }
});

describe("oneTimeCodes() leaves alone", () => {
  const cases: Array<[what: string, subject: string, body: string]> = [
    ["a mail without a code keyword", "Your order", "Order 123456 ships tomorrow."],
    ["dates, times and amounts", "Confirmation", "Confirmed for 12.05.2024 at 10:30, total $1999 (19.5%)."],
    ["order numbers with #", "Order confirmation", "Order confirmation #123456"],
    ["zip codes and coupon codes", "Address", "Zip code 90210. Coupon code SAVE2024."],
    [
      "digits inside URLs and addresses",
      "Verify",
      "Verify at https://x.example/v/884422 or mail 55431@x.example",
    ],
    ["phone numbers", "Verification", "Call the verification line on +1 555 1234"],
    ["words without digits", "Security code", "Security code: please call us"],
  ];
  for (const [what, subject, body] of cases) {
    test(what, () => {
      expect(oneTimeCodes(subject, body)).toEqual([]);
    });
  }
});

test("oneTimeCodes() gives each code once, nearest keyword first, with its context", () => {
  const codes = oneTimeCodes(
    "Code",
    "Your code: 111222.\n\nIgnore the reference 333444 if you did not ask for a code. 111222",
  );
  expect(codes.map((c) => c.code)).toEqual(["111222", "333444"]);
  expect(codes[0]!.context).toContain("Your code: 111222.");
});

test("oneTimeCodes() reads a bounded part of a huge text quickly", () => {
  const body = `${"lorem ipsum dolor code ".repeat(200_000)} 123456`;
  const started = performance.now();
  oneTimeCodes("x", body);
  expect(performance.now() - started).toBeLessThan(2_000);
});
