// The shop in a real browser: Debian's Chromium driven by playwright-core,
// against a server started by e2e/run.sh with the demo catalog
// (BASE_URL). Screenshots land in e2e/artifacts/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE = require.resolve("axe-core/axe.min.js");
const BASE = process.env.BASE_URL ?? "http://127.0.0.1:8080";
const ARTIFACTS = new URL("../artifacts/", import.meta.url).pathname;
mkdirSync(ARTIFACTS, { recursive: true });

let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
});
after(async () => browser?.close());

async function newPage(width = 1280) {
  // axe is injected as a script: the pages' CSP would refuse it.
  const context = await browser.newContext({ viewport: { width, height: 900 }, bypassCSP: true, locale: "fr-FR" });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("response", (r) => { if (r.status() >= 400 && r.request().resourceType() !== "document") errors.push(`${r.status()} ${r.url()}`); });
  page.errors = errors;
  return page;
}

async function accessibility(page, name) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }));
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`), [],
    `${name}: serious or critical accessibility violations`);
}

async function badge(page) {
  return page.locator("#cart-badge .count").getAttribute("data-count");
}

/// The link of the latest email to `to` whose link contains `path`, once
/// the server's outbox has delivered it (e2e/run.sh sets MAIL_DIR).
async function emailedLink(to, path) {
  const dir = process.env.MAIL_DIR;
  assert.ok(dir, "MAIL_DIR is set");
  for (let i = 0; i < 100; i++) {
    for (const name of readdirSync(dir).filter((n) => n.endsWith(".eml")).sort().reverse()) {
      const text = readFileSync(`${dir}/${name}`, "utf8").replace(/=\r?\n/g, "");
      const link = text.match(new RegExp(`https?://[^\\s]*${path}[^\\s]*`));
      if (text.includes(`To: ${to}`) && link) return link[0];
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no email to ${to} with ${path}`);
}

/// A product page, from the search for `q`, with two variants in stock.
async function productWithTwoVariants(page, q) {
  await page.goto(`${BASE}/recherche?q=${q}`);
  const links = await page.locator("#results .card a").evaluateAll((as) => as.map((a) => a.href));
  for (const link of links) {
    await page.goto(link);
    if (await page.locator("input[name=variant_id]:not([disabled])").count() >= 2) return link;
  }
  throw new Error(`no product with two variants in stock among ${links.length} for ${q}`);
}

test("a guest searches velo, filters, opens a product and adds two variants without a reload", async () => {
  const page = await newPage();
  await page.goto(`${BASE}/`);
  await accessibility(page, "home");

  // Suggestions as one types, then the search itself.
  await page.locator("#q").pressSequentially("velo", { delay: 30 });
  await page.locator("#suggestions li").first().waitFor();
  await page.locator("#q").press("Enter");
  await page.waitForURL(/\/recherche\?q=velo/);
  const total = await page.locator("#results .total").innerText();
  assert.match(total, /^\d+ produits$/);
  await accessibility(page, "search listing");

  // A filter applies through htmx: the address follows, the page stays.
  await page.evaluate(() => { window.stayed = true; });
  const brand = page.locator("fieldset:has(legend:text('Marque')) input").first();
  await brand.check();
  await page.waitForURL(/brand=/);
  await page.locator("#results .total").filter({ hasNotText: total }).waitFor();
  assert.equal(await page.evaluate(() => window.stayed), true, "filtering did not reload the page");
  // The facets were counted again, and the focus stayed on the box ticked.
  assert.equal(await page.evaluate(() => document.activeElement?.name), "brand", "focus kept");
  assert.equal(await page.locator("fieldset:has(legend:text('Marque')) input:checked").count(), 1);

  // Two variants into the cart; the badge follows without a reload.
  await productWithTwoVariants(page, "velo");
  await accessibility(page, "product");
  await page.evaluate(() => { window.stayed = true; });
  assert.equal(await badge(page), "0");
  const variants = page.locator("input[name=variant_id]:not([disabled])");
  await variants.nth(0).check();
  await page.getByRole("button", { name: "Ajouter au panier" }).click();
  await page.locator("#cart-badge .count[data-count='1']").waitFor();
  await page.locator("#flash").filter({ hasText: "Ajouté au panier." }).waitFor();
  await variants.nth(1).check();
  await page.getByRole("button", { name: "Ajouter au panier" }).click();
  await page.locator("#cart-badge .count[data-count='2']").waitFor();
  assert.equal(await page.evaluate(() => window.stayed), true, "adding to the cart did not reload the page");

  await page.goto(`${BASE}/panier`);
  assert.equal(await page.locator("table.cart tbody tr").count(), 2);
  await accessibility(page, "cart");
  // A quantity change through htmx updates the lines and the badge.
  await page.locator("table.cart tbody tr").first().locator("input[name=quantity]").fill("3");
  await page.locator("table.cart tbody tr").first().getByRole("button", { name: "Mettre à jour" }).click();
  await page.locator("#cart-badge .count[data-count='4']").waitFor();
  // A refused change (a form left open after its session changed) says so
  // in the page instead of doing nothing, and changes nothing.
  await page.evaluate(() => {
    document.querySelectorAll("input[name=_csrf]").forEach((input) => { input.value = "00"; });
  });
  await page.locator("table.cart tbody tr").first().locator("input[name=quantity]").fill("5");
  await page.locator("table.cart tbody tr").first().getByRole("button", { name: "Mettre à jour" }).click();
  await page.locator("#flash.failed").filter({ hasText: "Ce formulaire a expiré" }).waitFor();
  assert.equal(await badge(page), "4");
  assert.match(page.errors.pop() ?? "", /^403 .*\/panier\/lignes\//, "the refusal was the one answer in error");
  await page.reload();
  assert.equal(await badge(page), "4");
  await page.locator("dl.totals").filter({ hasText: "Livraison en France" }).waitFor();
  for (const width of [360, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `${ARTIFACTS}cart-filled-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });

  // Checkout: a declined card first, then paying again, then the confirmation.
  await page.getByRole("link", { name: "Passer commande" }).click();
  await page.waitForURL(/\/commande$/);
  await accessibility(page, "checkout");
  // One address per run: the account made below must be new.
  const email = `maelys.${Date.now()}@exemple.fr`;
  await page.fill("#email", email);
  await page.fill("#first_name", "Maëlys");
  await page.fill("#last_name", "Le Gall");
  await page.fill("#line1", "12 rue de Siam");
  await page.fill("#postal_code", "29200");
  await page.fill("#city", "Brest");
  await page.selectOption("#card_token", "tok_chargeDeclined");
  await page.getByRole("button", { name: "Commander et payer" }).click();
  await page.locator("h1", { hasText: "Paiement refusé" }).waitFor();
  await page.selectOption("#card_token", "tok_visa");
  await page.getByRole("button", { name: "Payer" }).click();
  await page.locator("h1", { hasText: "Merci pour votre commande" }).waitFor();
  const confirmation = await page.locator(".confirmation").innerText();
  assert.match(confirmation, /CMD-\d{4}-\d{6}/);
  await accessibility(page, "confirmation");
  assert.equal(await badge(page), "0", "the cart is empty after the order");

  // An account made now, from this browser and with the order's address,
  // holds the order placed as a guest.
  const number = confirmation.match(/CMD-\d{4}-\d{6}/)[0];
  const password = "crêpes au sarrasin du dimanche";
  await page.getByRole("link", { name: "Créer un compte" }).click();
  await page.waitForURL(/\/inscription/);
  await accessibility(page, "sign-up");
  await page.fill("#first_name", "Maëlys");
  await page.fill("#last_name", "Le Gall");
  await page.fill("#email", email);
  await page.fill("#password", password);
  await page.getByRole("button", { name: "Créer un compte" }).click();
  await page.waitForURL(/\/compte$/);
  await accessibility(page, "account");
  // The order joins once the address is confirmed, by the emailed link.
  assert.equal(await page.locator("table.orders").count(), 0, "not before the address is confirmed");
  const confirm = new URL(await emailedLink(email, "/compte/confirmer"));
  await page.goto(`${BASE}${confirm.pathname}${confirm.search}`);
  await page.getByRole("button", { name: "Confirmer mon adresse" }).click();
  await page.getByText("Votre adresse e-mail est confirmée").waitFor();
  await page.getByRole("link", { name: "Mon compte" }).first().click();
  await page.locator("table.orders").getByRole("link", { name: number, exact: true }).waitFor();

  // Signed out, then in again: the order is still there.
  await page.getByRole("button", { name: "Se déconnecter" }).click();
  await page.waitForURL(`${BASE}/`);
  await page.getByRole("link", { name: "Se connecter" }).click();
  await accessibility(page, "sign-in");
  await page.fill("#email", email);
  await page.fill("#password", "pas le bon mot de passe");
  await page.getByRole("button", { name: "Se connecter" }).click();
  await page.locator("#form-errors").filter({ hasText: "Adresse e-mail ou mot de passe incorrect." }).waitFor();
  await page.fill("#password", password);
  await page.getByRole("button", { name: "Se connecter" }).click();
  await page.waitForURL(/\/compte$/);
  await page.locator("table.orders").getByRole("link", { name: number, exact: true }).waitFor();
  assert.deepEqual(page.errors, [], "no script error on any page");
  await page.context().close();
});

test("the layout holds from 360 px phones to 1280 px desktops", async () => {
  for (const width of [360, 1280]) {
    const page = await newPage(width);
    for (const [name, path] of [["home", "/"], ["listing", "/recherche?q=velo"], ["cart", "/panier"], ["sign-in", "/connexion"], ["favourites", "/favoris"]]) {
      await page.goto(`${BASE}${path}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${name} at ${width}px scrolls sideways by ${overflow}px`);
      await page.screenshot({ path: `${ARTIFACTS}${name}-${width}.png`, fullPage: true });
    }
    await productWithTwoVariants(page, "tente");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `product at ${width}px scrolls sideways by ${overflow}px`);
    await page.screenshot({ path: `${ARTIFACTS}product-${width}.png`, fullPage: true });
    await page.context().close();
  }
});

test("keyboard users reach the content and see where the focus is", async () => {
  const page = await newPage();
  await page.goto(`${BASE}/`);
  await page.keyboard.press("Tab");
  const skip = page.locator("a.skip");
  assert.equal(await skip.evaluate((a) => a === document.activeElement), true, "the first Tab lands on the skip link");
  const outline = await skip.evaluate((a) => getComputedStyle(a).outlineStyle);
  assert.notEqual(outline, "none", "focus is visible");
  await page.context().close();
});

test("a missing page is a friendly page in the visitor's language", async () => {
  const page = await newPage();
  const response = await page.goto(`${BASE}/produits/nexiste-pas`);
  assert.equal(response.status(), 404);
  assert.equal(await page.locator("h1").innerText(), "Page introuvable");
  await accessibility(page, "404");
  await page.context().close();
});
