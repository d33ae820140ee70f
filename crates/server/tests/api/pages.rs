//! The shop's pages over real HTTP: what a browser without JavaScript gets
//! (forms that post and redirect), what htmx gets (fragments), the session
//! and CSRF cookies, the language, the assets and the error pages.

use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use uuid::Uuid;

use crate::catalog::{seed_category, seed_product};
use crate::harness::TestApp;

/// A browser: no redirects followed, cookies kept by hand.
pub struct Browser {
    pub client: reqwest::Client,
    pub cookies: Vec<(String, String)>,
}

impl Browser {
    pub fn new() -> Self {
        Self {
            client: reqwest::Client::builder().redirect(Policy::none()).build().unwrap(),
            cookies: Vec::new(),
        }
    }

    /// Another tab of this browser: the same cookies, from now on apart.
    fn copy(&self) -> Self {
        Self {
            client: self.client.clone(),
            cookies: self.cookies.clone(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all(SET_COOKIE) {
            let raw = value.to_str().unwrap();
            assert!(raw.contains("HttpOnly") && raw.contains("SameSite=Lax"), "{raw}");
            let (pair, _) = raw.split_once(';').unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(k, _)| k != name);
            self.cookies.push((name.to_owned(), value.to_owned()));
        }
    }

    pub async fn get(&mut self, app: &TestApp, path: &str) -> (u16, String) {
        let response = self
            .client
            .get(app.url(path))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep(&response);
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// A form post from a copy of this browser: (status, Location, body).
    async fn post_owned(mut self, app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, String, String) {
        let response = self.post(app, path, form, false).await;
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, location, response.text().await.unwrap())
    }

    /// A form post without htmx: (status, Location, body).
    pub async fn submit(&mut self, app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, String, String) {
        parts(self.post(app, path, form, false).await).await
    }

    async fn post(&mut self, app: &TestApp, path: &str, form: &[(&str, &str)], htmx: bool) -> reqwest::Response {
        let mut request = self
            .client
            .post(app.url(path))
            .header(COOKIE, self.cookie_header())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(form).unwrap());
        if htmx {
            request = request.header("hx-request", "true");
        }
        let response = request.send().await.unwrap();
        self.keep(&response);
        response
    }
}

/// The value of `<input ... name="{name}" value="...">` in a page.
pub fn field(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no {name} in page"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_owned()
}

async fn cart_count(app: &TestApp, browser: &mut Browser) -> String {
    let (_, html) = browser.get(app, "/panier").await;
    let at = html.find("data-count=\"").unwrap();
    let rest = &html[at + 12..];
    rest[..rest.find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn the_home_page_shows_departments_and_new_products_in_french_or_english() {
    let app = TestApp::spawn().await;
    let mut conn = app.db().acquire().await.unwrap();
    let running = seed_category(&mut conn, "running", None).await;
    seed_product(&mut conn, "Chaussure de trail Ar Men", Some(running), &["AR-1"]).await;
    drop(conn);

    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(response.headers()[CACHE_CONTROL], "private, no-cache");
    let html = response.text().await.unwrap();
    assert!(html.contains("<html lang=\"fr\">"), "French by default");
    assert!(
        html.contains("Chaussure de trail Ar Men") && html.contains("10,00\u{a0}€"),
        "{html}"
    );
    assert!(html.contains("href=\"/categories/running\""));
    assert!(html.contains("Nouveautés"));

    let english = app
        .client
        .get(app.url("/"))
        .header("accept-language", "en-GB,en;q=0.9,fr;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(english.contains("<html lang=\"en\">") && english.contains("New arrivals"));

    // The switcher sets a cookie and comes back, to this site only.
    let mut browser = Browser::new();
    let switched = browser
        .client
        .get(app.url("/langue/en?retour=%2Fpanier"))
        .send()
        .await
        .unwrap();
    assert_eq!(switched.status(), 303);
    assert_eq!(switched.headers()[LOCATION], "/panier");
    browser.keep(&switched);
    let (_, cart) = browser.get(&app, "/panier").await;
    assert!(cart.contains("Your cart"));
    // The static pages too, with what the account really offers.
    let (_, privacy) = browser.get(&app, "/pages/confidentialite").await;
    assert!(
        privacy.contains("This site’s cookies only keep") && !privacy.contains("Les cookies"),
        "{privacy}"
    );
    let away = browser
        .client
        .get(app.url("/langue/en?retour=https%3A%2F%2Fevil.example%2F"))
        .send()
        .await
        .unwrap();
    assert_eq!(away.headers()[LOCATION], "/");
    // A tab or a newline would make "/\t/evil.example" leave the site, or
    // break the header: both go home instead.
    for sneaky in ["%2F%09%2Fevil.example", "%2F%0D%0ASet-Cookie%3A%20x%3D1"] {
        let answer = browser
            .client
            .get(app.url(&format!("/langue/en?retour={sneaky}")))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 303, "{sneaky}");
        assert_eq!(answer.headers()[LOCATION], "/", "{sneaky}");
    }
}

#[tokio::test]
async fn assets_have_hashed_names_and_a_year_of_cache_and_old_names_are_gone() {
    let app = TestApp::spawn().await;
    let html = app.get("/pages/cgv").await.text().await.unwrap();
    let at = html.find("href=\"/assets/shop.").unwrap();
    let path = &html[at + 6..];
    let path = &path[..path.find('"').unwrap()];
    let css = app.get(path).await;
    assert_eq!(css.status(), 200);
    assert_eq!(css.headers()[CACHE_CONTROL], "public, max-age=31536000, immutable");
    assert!(css.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/css"));
    assert!(css.text().await.unwrap().contains(":focus-visible"));
    assert_eq!(app.get("/assets/shop.00000000.css").await.status(), 404);
}

#[tokio::test]
async fn a_category_lists_its_products_with_facets_filters_and_pages() {
    let app = TestApp::spawn().await;
    let mut conn = app.db().acquire().await.unwrap();
    let velo = seed_category(&mut conn, "velo", None).await;
    for i in 0..30 {
        seed_product(
            &mut conn,
            &format!("Vélo de ville {i:02}"),
            Some(velo),
            &[&format!("V-{i}")],
        )
        .await;
    }
    seed_product(&mut conn, "Tente Crozon", None, &["T-1"]).await;
    drop(conn);
    let (status, first) = Browser::new().get(&app, "/categories/velo").await;
    assert_eq!(status, 200);
    assert!(first.contains("30 produits"), "the total counts every match");
    assert!(!first.contains("Tente Crozon"), "only the category's products");
    assert_eq!(first.matches("class=\"card\"").count(), 24, "a page holds 24");
    assert!(first.contains("rel=\"next\""), "a next page link");
    let at = first.find("href=\"/categories/velo?cursor=").unwrap();
    let link = &first[at + 6..];
    let link = link[..link.find('"').unwrap()].replace("&amp;", "&");
    let (_, second) = Browser::new().get(&app, &link).await;
    assert_eq!(second.matches("class=\"card\"").count(), 6);

    // Sorting by price, and a price band that matches nothing.
    let (_, cheap) = Browser::new()
        .get(&app, "/categories/velo?sort=price_asc&prix=0-500")
        .await;
    assert!(cheap.contains("0 produits"));
    // A malformed band is a 400 page too; "any price" lifts the band.
    let (status, _) = Browser::new()
        .get(&app, "/categories/velo?prix=0--9223372036854775808")
        .await;
    assert_eq!(status, 400);
    assert!(cheap.contains("name=\"prix\" value=\"\""), "an any-price choice");
    // A forged cursor is a clear 400 page, not a crash.
    let (status, page) = Browser::new().get(&app, "/categories/velo?cursor=nope").await;
    assert_eq!(status, 400);
    assert!(page.contains("Demande invalide"));
    // Search, typo included, and suggestions as one types.
    let (status, found) = Browser::new().get(&app, "/recherche?q=velo").await;
    assert_eq!(status, 200);
    assert!(found.contains("Vélo de ville") && !found.contains("Tente Crozon"));
    let (_, suggestions) = Browser::new().get(&app, "/recherche/suggestions?q=tentes").await;
    assert!(suggestions.contains("Tente Crozon"), "{suggestions}");
    let (_, none) = Browser::new().get(&app, "/recherche/suggestions?q=t").await;
    assert!(none.contains("hidden"));
}

#[tokio::test]
async fn a_guest_fills_a_cart_through_forms_guarded_by_a_csrf_token() {
    let app = TestApp::spawn().await;
    let mut conn = app.db().acquire().await.unwrap();
    let tent = seed_product(&mut conn, "Tente Crozon", None, &["T-1", "T-2"]).await;
    drop(conn);
    let mut browser = Browser::new();
    let (status, page) = browser.get(&app, &format!("/produits/{}", tent.slug)).await;
    assert_eq!(status, 200);
    assert!(page.contains("<h1>Tente Crozon</h1>") && page.contains("TVA 20 %"));
    let csrf = field(&page, "_csrf");
    assert!(
        browser.cookies.iter().any(|(k, _)| k == "comptoir_sid"),
        "a session cookie"
    );
    let variant = tent.variants[1].to_string();

    // Without the token, or with another session's, nothing is added.
    let refused = browser
        .post(
            &app,
            "/panier/ajouter",
            &[("variant_id", &variant), ("quantity", "2")],
            false,
        )
        .await;
    assert_eq!(refused.status(), 403);
    let mut stranger = Browser::new();
    let (_, other_page) = stranger.get(&app, &format!("/produits/{}", tent.slug)).await;
    let stranger_csrf = field(&other_page, "_csrf");
    assert_ne!(stranger_csrf, csrf, "each session has its own token");
    let forged = browser
        .post(
            &app,
            "/panier/ajouter",
            &[("variant_id", &variant), ("quantity", "2"), ("_csrf", &stranger_csrf)],
            false,
        )
        .await;
    assert_eq!(forged.status(), 403);
    assert!(!browser.cookies.iter().any(|(k, _)| k == "comptoir_cart"));

    // Without JavaScript: the form posts and goes to the cart.
    let added = browser
        .post(
            &app,
            "/panier/ajouter",
            &[("variant_id", &variant), ("quantity", "2"), ("_csrf", &csrf)],
            false,
        )
        .await;
    assert_eq!(added.status(), 303);
    assert_eq!(added.headers()[LOCATION], "/panier");
    assert!(browser.cookies.iter().any(|(k, _)| k == "comptoir_cart"));
    let (_, cart) = browser.get(&app, "/panier").await;
    assert!(cart.contains("Tente Crozon") && cart.contains("22,00\u{a0}€"), "{cart}");
    assert_eq!(cart_count(&app, &mut browser).await, "2");
    // The cheapest delivery for this cart (Colissimo, 6,90 € under 60 €),
    // and the total with it; no store holds the tent, so no collection.
    assert!(
        cart.contains("Livraison en France (Colissimo à domicile)</dt><dd>6,90\u{a0}€</dd>"),
        "{cart}"
    );
    assert!(cart.contains("<dd>28,90\u{a0}€</dd>"), "{cart}");
    assert!(!cart.contains("Retrait en magasin"), "{cart}");
    // The warehouse has none: the warning is in the page's language.
    assert!(
        cart.contains("Seulement 0 disponible(s) à l’expédition maintenant."),
        "{cart}"
    );

    // With htmx: the badge comes back with a message, no page load.
    let badge = browser
        .post(
            &app,
            "/panier/ajouter",
            &[("variant_id", &variant), ("quantity", "1"), ("_csrf", &csrf)],
            true,
        )
        .await;
    assert_eq!(badge.status(), 200);
    let badge = badge.text().await.unwrap();
    assert!(
        badge.contains("id=\"cart-badge\"") && badge.contains("data-count=\"3\""),
        "{badge}"
    );
    assert!(badge.contains("Ajouté au panier."));

    // Bad input changes nothing.
    let too_many = browser
        .post(
            &app,
            "/panier/ajouter",
            &[("variant_id", &variant), ("quantity", "500"), ("_csrf", &csrf)],
            false,
        )
        .await;
    assert_eq!(too_many.status(), 422);
    let unknown = browser
        .post(
            &app,
            "/panier/ajouter",
            &[("variant_id", &Uuid::now_v7().to_string()), ("_csrf", &csrf)],
            false,
        )
        .await;
    assert_eq!(unknown.status(), 422);
    let garbage = browser
        .post(&app, "/panier/ajouter", &[("variant_id", "x"), ("_csrf", &csrf)], false)
        .await;
    assert_eq!(garbage.status(), 400);
    assert_eq!(cart_count(&app, &mut browser).await, "3");

    // Quantity change and removal.
    let (_, cart) = browser.get(&app, "/panier").await;
    let at = cart.find("action=\"/panier/lignes/").unwrap();
    let line = &cart[at + "action=\"/panier/lignes/".len()..];
    let line = &line[..line.find('"').unwrap()];
    let changed = browser
        .post(
            &app,
            &format!("/panier/lignes/{line}"),
            &[("quantity", "6"), ("_csrf", &csrf)],
            false,
        )
        .await;
    assert_eq!(changed.status(), 303);
    assert_eq!(cart_count(&app, &mut browser).await, "6");
    // 66 € of goods: Colissimo is free, and the total is the goods'.
    let (_, cart) = browser.get(&app, "/panier").await;
    assert!(cart.contains("(Colissimo à domicile)</dt><dd>offert</dd>"), "{cart}");
    assert!(!cart.contains("Total avec la livraison"), "{cart}");
    let mut in_english = browser.copy();
    in_english.cookies.push(("lang".to_owned(), "en".to_owned()));
    let (_, english) = in_english.get(&app, "/panier").await;
    assert!(
        english.contains("Delivery in France (Colissimo à domicile)</dt><dd>free</dd>")
            && english.contains("Only 0 can ship now."),
        "{english}"
    );
    let removed = browser
        .post(
            &app,
            &format!("/panier/lignes/{line}/supprimer"),
            &[("_csrf", &csrf)],
            false,
        )
        .await;
    assert_eq!(removed.status(), 303);
    let (_, empty) = browser.get(&app, "/panier").await;
    assert!(empty.contains("Votre panier est vide."));
    // Another session has no cart to change.
    let (_, theirs) = stranger.get(&app, "/panier").await;
    assert!(theirs.contains("Votre panier est vide."));
    let denied = stranger
        .post(
            &app,
            &format!("/panier/lignes/{line}"),
            &[("quantity", "2"), ("_csrf", &stranger_csrf)],
            false,
        )
        .await;
    assert_eq!(denied.status(), 404);
}

#[tokio::test]
async fn a_product_page_says_which_variants_each_store_holds() {
    let app = TestApp::spawn().await;
    let admin = crate::catalog::admin_token(&app).await;
    let product = crate::catalog::create_product(
        &app,
        &admin,
        crate::catalog::product_body("Veste Ouessant", None, &[("VO-S", 8900), ("VO-L", 8900)]),
    )
    .await;
    let large = product["variants"][1]["id"].as_str().unwrap();
    let store = crate::identity::new_store(&app, "QUIMPER").await;
    let received = app
        .client
        .post(app.url("/api/v1/admin/stock/adjustments"))
        .header("authorization", crate::identity::bearer(&admin))
        .header("idempotency-key", Uuid::now_v7().to_string())
        .json(&serde_json::json!({"location_id": store, "variant_id": large, "delta": 5, "reason": "receipt"}))
        .send()
        .await
        .unwrap();
    assert_eq!(received.status(), 201);
    let slug = product["slug"].as_str().unwrap();
    let page = app.get(&format!("/produits/{slug}")).await.text().await.unwrap();
    // Five of the large one, none of the small one: not "5" for the jacket.
    assert!(page.contains("<li>Magasin QUIMPER\u{a0}: VO-L (5)</li>"), "{page}");
    assert!(!page.contains("VO-S ("), "{page}");
}

#[tokio::test]
async fn missing_pages_are_friendly_and_api_paths_keep_their_problems() {
    let app = TestApp::spawn().await;
    let page = app.get("/nulle-part").await;
    assert_eq!(page.status(), 404);
    assert!(page.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    let html = page.text().await.unwrap();
    assert!(html.contains("Page introuvable") && !html.contains("panicked"));
    let product = app.get("/produits/nexiste-pas").await;
    assert_eq!(product.status(), 404);
    let api = app.get("/api/v1/nulle-part").await;
    assert_eq!(api.status(), 404);
    assert_eq!(api.headers()[CONTENT_TYPE], "application/problem+json");
    assert_eq!(app.get("/pages/inconnue").await.status(), 404);
    assert_eq!(app.get("/categories/inconnue").await.status(), 404);

    // What the framework refuses before any page handler runs is a page
    // too, for a browser: a method the address does not take, a body over
    // the limit. Programs that do not ask for HTML keep the problem.
    let browser = |request: reqwest::RequestBuilder| {
        request.header(reqwest::header::ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8")
    };
    let wrong_method = browser(app.client.get(app.url("/panier/ajouter")))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_method.status(), 405);
    assert!(wrong_method.headers().contains_key(reqwest::header::ALLOW));
    assert!(
        wrong_method.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = wrong_method.text().await.unwrap();
    assert!(
        html.contains("<html lang=\"fr\">") && html.contains("Demande invalide"),
        "{html}"
    );
    let too_big = browser(app.client.post(app.url("/panier/ajouter")))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(vec![b'a'; 2 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(too_big.status(), 413);
    assert!(
        too_big.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let htmx = app
        .client
        .get(app.url("/panier/ajouter"))
        .header("hx-request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(htmx.status(), 405);
    assert!(
        htmx.text()
            .await
            .unwrap()
            .contains("<main id=\"main\" class=\"error\">")
    );
    let program = app.client.get(app.url("/panier/ajouter")).send().await.unwrap();
    assert_eq!(program.status(), 405);
    assert_eq!(program.headers()[CONTENT_TYPE], "application/problem+json");
    let api = browser(app.client.post(app.url("/api/v1/nulle-part")))
        .send()
        .await
        .unwrap();
    assert_eq!(api.headers()[CONTENT_TYPE], "application/problem+json");
}

#[tokio::test]
async fn checkout_pages_refuse_what_they_should_and_hide_other_peoples_orders() {
    let app = TestApp::spawn().await;
    let mut conn = app.db().acquire().await.unwrap();
    let tent = seed_product(&mut conn, "Tente Crozon", None, &["T-1"]).await;
    drop(conn);
    let mut browser = Browser::new();
    // No cart: the checkout sends the shopper to the cart.
    let response = browser.client.get(app.url("/commande")).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()[LOCATION], "/panier");

    let (_, page) = browser.get(&app, &format!("/produits/{}", tent.slug)).await;
    let csrf = field(&page, "_csrf");
    let variant = tent.variants[0].to_string();
    browser
        .post(
            &app,
            "/panier/ajouter",
            &[("variant_id", &variant), ("_csrf", &csrf)],
            false,
        )
        .await;
    let (status, form) = browser.get(&app, "/commande").await;
    assert_eq!(status, 200);
    let key = field(&form, "idempotency_key");
    // Without the token: 403, nothing placed.
    let refused = browser
        .post(
            &app,
            "/commande",
            &[("email", "a@exemple.fr"), ("idempotency_key", &key)],
            false,
        )
        .await;
    assert_eq!(refused.status(), 403);
    // A forged key: 400. Invalid fields: the form again, 422, with reasons.
    let forged = browser
        .post(
            &app,
            "/commande",
            &[("idempotency_key", "nope"), ("_csrf", &csrf)],
            false,
        )
        .await;
    assert_eq!(forged.status(), 400);
    let invalid = browser
        .post(
            &app,
            "/commande",
            &[
                ("email", "pas-une-adresse"),
                ("country", "FR"),
                ("idempotency_key", &key),
                ("_csrf", &csrf),
            ],
            false,
        )
        .await;
    assert_eq!(invalid.status(), 422);
    let html = invalid.text().await.unwrap();
    assert!(html.contains("class=\"errors\"") && html.contains("email"), "{html}");
    assert!(html.contains("value=\"pas-une-adresse\""), "what was typed stays");
    let orders: i64 = sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(orders, 0, "nothing was placed");
    // Someone else's order, or no order at all, is a 404 page.
    let (status, _) = browser.get(&app, &format!("/commande/{}", Uuid::now_v7())).await;
    assert_eq!(status, 404);
    let (status, _) = browser.get(&app, "/commande/pas-un-id").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_checkout_form_sent_twice_places_one_order_and_the_orders_stay_reachable() {
    let app = TestApp::spawn().await;
    let admin = crate::catalog::admin_token(&app).await;
    let variant = crate::orders::stocked_variant(&app, &admin, "PAGE-1", 2500, 5).await;
    let mut browser = Browser::new();
    let (status, product) = browser.get(&app, "/produits/produit-page-1").await;
    assert_eq!(status, 200);
    let csrf = field(&product, "_csrf");
    let variant = variant.to_string();
    let added = browser
        .post(
            &app,
            "/panier/ajouter",
            &[("variant_id", &variant), ("quantity", "1"), ("_csrf", &csrf)],
            false,
        )
        .await;
    assert_eq!(added.status(), 303);
    let (_, form) = browser.get(&app, "/commande").await;
    let key = field(&form, "idempotency_key");
    let fields = [
        ("email", "maelys@exemple.fr"),
        ("first_name", "Maëlys"),
        ("last_name", "Le Gall"),
        ("line1", "12 rue de Siam"),
        ("postal_code", "29200"),
        ("city", "Brest"),
        ("country", "FR"),
        ("shipping_option_id", "colissimo"),
        ("card_token", "tok_visa"),
        ("idempotency_key", key.as_str()),
        ("_csrf", csrf.as_str()),
    ];
    // Two submits of the same form at once (a double click).
    let (first, second) = tokio::join!(
        browser.copy().post_owned(&app, "/commande", &fields),
        browser.copy().post_owned(&app, "/commande", &fields),
    );
    assert_eq!(first.0, 303, "{}", first.2);
    assert_eq!(second.0, 303, "{}", second.2);
    assert_eq!(first.1, second.1, "both land on the same order");
    let orders: i64 = sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(orders, 1, "one order for one form");
    let order_page = first.1.clone();
    let (status, confirmation) = browser.get(&app, &order_page).await;
    assert_eq!(status, 200);
    assert!(confirmation.contains("CMD-"), "{confirmation}");

    // Shopping again: the order placed before is still this browser's.
    browser
        .post(
            &app,
            "/panier/ajouter",
            &[("variant_id", &variant), ("_csrf", &csrf)],
            false,
        )
        .await;
    let (status, earlier) = browser.get(&app, &order_page).await;
    assert_eq!(status, 200, "the earlier order stays reachable");
    assert!(earlier.contains("Merci pour votre commande"), "{earlier}");
    assert!(earlier.contains("data-count=\"1\""), "the badge counts the new cart");
    // Once shipped, the page says so rather than thanking again.
    sqlx::query("UPDATE orders SET status = 'shipped'")
        .execute(app.db())
        .await
        .unwrap();
    let (_, shipped) = browser.get(&app, &order_page).await;
    assert!(
        shipped.contains("Statut de la commande\u{a0}: <strong>Expédiée</strong>") && !shipped.contains("Merci"),
        "{shipped}"
    );
    // The old form sent again (the back button): a fresh form, no second order.
    let resent = browser.post(&app, "/commande", &fields, false).await;
    assert_eq!(resent.status(), 422);
    let page = resent.text().await.unwrap();
    assert!(page.contains("Ce formulaire a expiré"), "{page}");
    assert_ne!(field(&page, "idempotency_key"), key, "a fresh key");
    let orders: i64 = sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(orders, 1);
}

/// Status, `Location` and body of an answer.
async fn parts(response: reqwest::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get(LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, response.text().await.unwrap())
}

/// A guest who adds one unit of `variant` and checks out with `email`;
/// answers the order page's path.
async fn guest_order(app: &TestApp, browser: &mut Browser, slug: &str, variant: &str, email: &str) -> String {
    let (_, page) = browser.get(app, &format!("/produits/{slug}")).await;
    let csrf = field(&page, "_csrf");
    let added = browser
        .post(
            app,
            "/panier/ajouter",
            &[("variant_id", variant), ("_csrf", &csrf)],
            false,
        )
        .await;
    assert_eq!(added.status(), 303);
    let (_, form) = browser.get(app, "/commande").await;
    let key = field(&form, "idempotency_key");
    let placed = browser
        .post(
            app,
            "/commande",
            &[
                ("email", email),
                ("first_name", "Maëlys"),
                ("last_name", "Le Gall"),
                ("line1", "12 rue de Siam"),
                ("postal_code", "29200"),
                ("city", "Brest"),
                ("country", "FR"),
                ("shipping_option_id", "colissimo"),
                ("card_token", "tok_visa"),
                ("idempotency_key", &key),
                ("_csrf", &csrf),
            ],
            false,
        )
        .await;
    let (status, location, body) = parts(placed).await;
    assert_eq!(status, 303, "{body}");
    location
}

fn auth_cookie(browser: &Browser) -> Option<String> {
    browser
        .cookies
        .iter()
        .find(|(k, v)| k == "comptoir_auth" && !v.is_empty())
        .map(|(_, v)| v.clone())
}

#[tokio::test]
async fn a_guest_who_signs_up_after_ordering_finds_the_order_and_its_invoice_in_the_account() {
    let dir = crate::identity::recovery::mail_dir();
    let app = TestApp::builder().var("MAIL_DIR", dir.to_str().unwrap()).spawn().await;
    let admin = crate::catalog::admin_token(&app).await;
    let variant = crate::orders::stocked_variant(&app, &admin, "ACC-1", 4200, 5)
        .await
        .to_string();
    let mut browser = Browser::new();
    let order_page = guest_order(&app, &mut browser, "produit-acc-1", &variant, "maelys@exemple.fr").await;
    let (_, confirmation) = browser.get(&app, &order_page).await;
    let number_at = confirmation.find("CMD-").unwrap();
    let number = confirmation[number_at..number_at + 15].to_owned();
    assert!(
        confirmation.contains("/inscription"),
        "the confirmation offers an account"
    );

    // Sign-up refuses a weak password and creates nothing.
    let (_, form) = browser.get(&app, "/inscription").await;
    let csrf = field(&form, "_csrf");
    let signup = |password: &'static str, csrf: String| {
        [
            ("first_name", "Maëlys".to_owned()),
            ("last_name", "Le Gall".to_owned()),
            ("email", "Maelys@Exemple.fr".to_owned()),
            ("password", password.to_owned()),
            ("retour", "/compte".to_owned()),
            ("_csrf", csrf),
        ]
    };
    let weak = signup("password1234", csrf.clone());
    let weak: Vec<(&str, &str)> = weak.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, page) = browser.submit(&app, "/inscription", &weak).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("aria-invalid=\"true\"") && page.contains("value=\"Maelys@Exemple.fr\""));
    assert!(!page.contains("password1234"), "a password is never sent back");
    assert!(
        page.contains("Mot de passe\u{a0}: trop facile à deviner") && !page.contains("too easy"),
        "said in French: {page}"
    );
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE lower(email) = 'maelys@exemple.fr'")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(users, 0);

    // A good one: signed in, on the account page, with the guest order.
    let good = signup("crêpes au sarrasin du dimanche", csrf.clone());
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, location, _) = browser.submit(&app, "/inscription", &good).await;
    assert_eq!((status, location.as_str()), (303, "/compte"));
    let token = auth_cookie(&browser).expect("a sign-in cookie");
    let (status, account) = browser.get(&app, "/compte").await;
    assert_eq!(status, 200, "{account}");
    // Not before the address is confirmed: anyone could sign up with it.
    assert!(!account.contains(&number), "{account}");
    assert!(account.contains("adresse à confirmer"));
    let messages = crate::identity::recovery::mailbox(&app, &dir).await;
    let welcome = messages.iter().find(|m| m.contains("compte/confirmer")).unwrap();
    let code = crate::identity::recovery::token_after(welcome, "Code à saisir dans une application : ");
    let (status, confirm) = browser.get(&app, &format!("/compte/confirmer?token={code}")).await;
    assert_eq!(status, 200);
    let csrf = field(&confirm, "_csrf");
    let (status, _, page) = browser
        .submit(&app, "/compte/confirmer", &[("token", &code), ("_csrf", &csrf)])
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("Votre adresse e-mail est confirmée"), "{page}");
    let (status, account) = browser.get(&app, "/compte").await;
    assert_eq!(status, 200, "{account}");
    assert!(account.contains(&number), "the guest order is the account's: {account}");
    assert!(account.contains("Mon compte"));
    let order_id = order_page.trim_start_matches("/commande/");
    assert!(account.contains(&format!("/commande/{order_id}/facture")));
    let invoice = browser
        .client
        .get(app.url(&format!("/commande/{order_id}/facture")))
        .header(COOKIE, browser.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(invoice.status(), 200);
    assert_eq!(invoice.headers()[CONTENT_TYPE], "application/pdf");
    let owner: Option<Uuid> = sqlx::query_scalar("SELECT user_id FROM orders WHERE number = $1")
        .bind(&number)
        .fetch_one(app.db())
        .await
        .unwrap();
    assert!(owner.is_some());

    // Someone else's browser sees neither the account nor the invoice.
    let mut stranger = Browser::new();
    let (status, _) = stranger.get(&app, &format!("/commande/{order_id}/facture")).await;
    assert_eq!(status, 404);
    let response = stranger.client.get(app.url("/compte")).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()[LOCATION], "/connexion?retour=%2Fcompte");

    // Signing out needs the form's token, then closes the session for good.
    let (_, account) = browser.get(&app, "/compte").await;
    let csrf = field(&account, "_csrf");
    let (status, _, _) = browser.submit(&app, "/deconnexion", &[("_csrf", "0000")]).await;
    assert_eq!(status, 403);
    assert!(auth_cookie(&browser).is_some(), "still signed in");
    let (status, location, _) = browser.submit(&app, "/deconnexion", &[("_csrf", &csrf)]).await;
    assert_eq!((status, location.as_str()), (303, "/"));
    assert!(auth_cookie(&browser).is_none(), "the cookie is gone");
    // The old cookie, replayed, no longer signs in, and is removed.
    let replay = browser
        .client
        .get(app.url("/compte"))
        .header(COOKIE, format!("comptoir_auth={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 303);
    let (status, home) = {
        let response = browser
            .client
            .get(app.url("/"))
            .header(COOKIE, format!("comptoir_auth={token}"))
            .send()
            .await
            .unwrap();
        let cleared = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .any(|v| v.to_str().unwrap().starts_with("comptoir_auth=;"));
        assert!(cleared, "a stale sign-in cookie is removed");
        (response.status(), response.text().await.unwrap())
    };
    assert_eq!(status, 200);
    assert!(home.contains("href=\"/connexion\""));
}

#[tokio::test]
async fn signing_in_keeps_the_cart_and_an_account_checks_out_and_sees_only_its_own() {
    let app = TestApp::spawn().await;
    let admin = crate::catalog::admin_token(&app).await;
    let variant = crate::orders::stocked_variant(&app, &admin, "ACC-2", 1500, 9)
        .await
        .to_string();
    assert_eq!(
        crate::identity::register(&app, "goulven@exemple.fr").await.status(),
        201
    );
    let mut browser = Browser::new();
    let (_, page) = browser.get(&app, "/produits/produit-acc-2").await;
    let csrf = field(&page, "_csrf");
    browser
        .post(
            &app,
            "/panier/ajouter",
            &[("variant_id", &variant), ("quantity", "2"), ("_csrf", &csrf)],
            false,
        )
        .await;

    // A wrong password: the form again, 401, a plain message, not signed in.
    let (_, form) = browser.get(&app, "/connexion?retour=%2Fpanier").await;
    assert_eq!(field(&form, "retour"), "/panier");
    let csrf = field(&form, "_csrf");
    let wrong = browser
        .post(
            &app,
            "/connexion",
            &[
                ("email", "goulven@exemple.fr"),
                ("password", "pas le bon mot de passe"),
                ("retour", "/panier"),
                ("_csrf", &csrf),
            ],
            false,
        )
        .await;
    let (status, _, page) = parts(wrong).await;
    assert_eq!(status, 401);
    assert!(page.contains("Adresse e-mail ou mot de passe incorrect."), "{page}");
    assert!(auth_cookie(&browser).is_none());
    // Without the token: 403.
    let (status, _, _) = browser
        .submit(
            &app,
            "/connexion",
            &[("email", "goulven@exemple.fr"), ("password", crate::identity::PASSWORD)],
        )
        .await;
    assert_eq!(status, 403);
    // A return address elsewhere is ignored.
    let mut other = browser.copy();
    let (status, location, _) = other
        .submit(
            &app,
            "/connexion",
            &[
                ("email", "goulven@exemple.fr"),
                ("password", crate::identity::PASSWORD),
                ("retour", "//evil.example/"),
                ("_csrf", &csrf),
            ],
        )
        .await;
    assert_eq!((status, location.as_str()), (303, "/compte"));

    // Signed in: back to the cart, which kept its two units.
    let (status, location, _) = browser
        .submit(
            &app,
            "/connexion",
            &[
                ("email", "goulven@exemple.fr"),
                ("password", crate::identity::PASSWORD),
                ("retour", "/panier"),
                ("_csrf", &csrf),
            ],
        )
        .await;
    assert_eq!((status, location.as_str()), (303, "/panier"));
    assert_ne!(
        field(&browser.get(&app, "/panier").await.1, "_csrf"),
        csrf,
        "a new CSRF token after sign-in"
    );
    assert_eq!(cart_count(&app, &mut browser).await, "2");
    // The checkout starts from the account; the order is the account's.
    let (_, form) = browser.get(&app, "/commande").await;
    assert!(form.contains("value=\"goulven@exemple.fr\""), "{form}");
    let order_page = {
        let csrf = field(&form, "_csrf");
        let key = field(&form, "idempotency_key");
        let placed = browser
            .post(
                &app,
                "/commande",
                &[
                    ("email", "goulven@exemple.fr"),
                    ("first_name", "Goulven"),
                    ("last_name", "Tanguy"),
                    ("line1", "3 quai de la Douane"),
                    ("postal_code", "29200"),
                    ("city", "Brest"),
                    ("country", "FR"),
                    ("shipping_option_id", "colissimo"),
                    ("card_token", "tok_visa"),
                    ("idempotency_key", &key),
                    ("_csrf", &csrf),
                ],
                false,
            )
            .await;
        let (status, location, body) = parts(placed).await;
        assert_eq!(status, 303, "{body}");
        location
    };
    let owner: Option<Uuid> = sqlx::query_scalar("SELECT user_id FROM orders")
        .fetch_one(app.db())
        .await
        .unwrap();
    let goulven: Uuid = sqlx::query_scalar("SELECT id FROM users WHERE email = 'goulven@exemple.fr'")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(owner, Some(goulven));
    let (status, _) = browser.get(&app, &order_page).await;
    assert_eq!(status, 200);

    // Another account, and a guest holding another cart, get 404.
    assert_eq!(
        crate::identity::register(&app, "nolwenn@exemple.fr").await.status(),
        201
    );
    let mut nolwenn = signed_in(&app, "nolwenn@exemple.fr").await;
    assert_eq!(nolwenn.get(&app, &order_page).await.0, 404);
    assert_eq!(nolwenn.get(&app, &format!("{order_page}/facture")).await.0, 404);

    // The session shows on the account page, and revoking it through the
    // API signs the browser out at its next page.
    let (_, account) = browser.get(&app, "/compte").await;
    assert!(account.contains("cet appareil"), "{account}");
    let api: serde_json::Value = crate::identity::login(&app, "goulven@exemple.fr", crate::identity::PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let bearer = format!("Bearer {}", api["access_token"].as_str().unwrap());
    let sessions: serde_json::Value = browser
        .client
        .get(app.url("/api/v1/me/sessions"))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pages_session = sessions["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| !s["current"].as_bool().unwrap())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = browser
        .client
        .delete(app.url(&format!("/api/v1/me/sessions/{pages_session}")))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    let response = browser
        .client
        .get(app.url("/compte"))
        .header(COOKIE, browser.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "signed out");
}

/// A browser signed in to this (registered) account through the form.
async fn signed_in(app: &TestApp, email: &str) -> Browser {
    let mut browser = Browser::new();
    let (_, form) = browser.get(app, "/connexion").await;
    let csrf = field(&form, "_csrf");
    let (status, _, page) = browser
        .submit(
            app,
            "/connexion",
            &[
                ("email", email),
                ("password", crate::identity::PASSWORD),
                ("_csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(status, 303, "{page}");
    assert!(auth_cookie(&browser).is_some());
    browser
}

#[tokio::test]
async fn a_signed_in_shoppers_first_adds_at_once_fill_one_cart() {
    let app = TestApp::spawn().await;
    let admin = crate::catalog::admin_token(&app).await;
    let first = crate::orders::stocked_variant(&app, &admin, "TAB-1", 1500, 9)
        .await
        .to_string();
    let second = crate::orders::stocked_variant(&app, &admin, "TAB-2", 900, 9)
        .await
        .to_string();
    assert_eq!(
        crate::identity::register(&app, "maiwenn@exemple.fr").await.status(),
        201
    );
    let mut browser = signed_in(&app, "maiwenn@exemple.fr").await;
    let (_, page) = browser.get(&app, "/produits/produit-tab-1").await;
    let csrf = field(&page, "_csrf");

    // Two tabs add at the same moment, before the account has a cart: both
    // lines land in one cart, which the cart page shows.
    let one = [("variant_id", first.as_str()), ("quantity", "1"), ("_csrf", &csrf)];
    let two = [("variant_id", second.as_str()), ("quantity", "2"), ("_csrf", &csrf)];
    for round in 0..5 {
        sqlx::query("DELETE FROM carts").execute(app.db()).await.unwrap();
        let (a, b) = tokio::join!(
            browser.copy().post_owned(&app, "/panier/ajouter", &one),
            browser.copy().post_owned(&app, "/panier/ajouter", &two),
        );
        assert_eq!((a.0, b.0), (303, 303), "{} {}", a.2, b.2);
        let carts: i64 = sqlx::query_scalar("SELECT count(*) FROM carts")
            .fetch_one(app.db())
            .await
            .unwrap();
        assert_eq!(carts, 1, "round {round}: one cart for one account");
        assert_eq!(cart_count(&app, &mut browser).await, "3", "round {round}");
    }
}

#[tokio::test]
async fn the_account_page_edits_the_profile_and_addresses_and_keeps_favourites() {
    let dir = crate::identity::recovery::mail_dir();
    let app = TestApp::builder().var("MAIL_DIR", dir.to_str().unwrap()).spawn().await;
    let admin = crate::catalog::admin_token(&app).await;
    crate::orders::stocked_variant(&app, &admin, "ACC-3", 990, 3).await;
    let product_id: Uuid = sqlx::query_scalar("SELECT id FROM products WHERE slug = 'produit-acc-3'")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(crate::identity::register(&app, "anna@exemple.fr").await.status(), 201);
    let mut browser = Browser::new();

    // A guest's favourite goes through the sign-in page first.
    let (_, product) = browser.get(&app, "/produits/produit-acc-3").await;
    let csrf = field(&product, "_csrf");
    let favourite = format!("/favoris/{product_id}");
    let (status, location, _) = browser
        .submit(
            &app,
            &favourite,
            &[("retour", "/produits/produit-acc-3"), ("_csrf", &csrf)],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(location, "/connexion?retour=%2Fproduits%2Fproduit-acc-3");
    let (_, favourites) = browser.get(&app, "/favoris").await;
    assert!(favourites.contains("Connectez-vous"));

    // Forgotten password: the emailed link, a weak try, then the new one.
    let (_, form) = browser.get(&app, "/mot-de-passe/oublie").await;
    let csrf = field(&form, "_csrf");
    let (status, _, page) = browser
        .submit(
            &app,
            "/mot-de-passe/oublie",
            &[("email", "anna@exemple.fr"), ("_csrf", &csrf)],
        )
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("Si un compte utilise cette adresse"));
    let messages = crate::identity::recovery::mailbox(&app, &dir).await;
    let reset = messages.iter().find(|m| m.contains("mot-de-passe/nouveau")).unwrap();
    let token = crate::identity::recovery::token_after(reset, "Code à saisir dans une application : ");
    let (status, form) = browser.get(&app, &format!("/mot-de-passe/nouveau?token={token}")).await;
    assert_eq!(status, 200);
    assert_eq!(field(&form, "token"), token);
    let weak = browser
        .post(
            &app,
            "/mot-de-passe/nouveau",
            &[("token", &token), ("new_password", "password1234"), ("_csrf", &csrf)],
            false,
        )
        .await;
    assert_eq!(weak.status(), 422);
    let (status, location, _) = browser
        .submit(
            &app,
            "/mot-de-passe/nouveau",
            &[
                ("token", &token),
                ("new_password", "kouign-amann et cidre brut"),
                ("_csrf", &csrf),
            ],
        )
        .await;
    assert_eq!((status, location.as_str()), (303, "/connexion?reinitialise=1"));
    let spent = browser
        .post(
            &app,
            "/mot-de-passe/nouveau",
            &[
                ("token", &token),
                ("new_password", "encore un autre mot de passe"),
                ("_csrf", &csrf),
            ],
            false,
        )
        .await;
    let (status, _, page) = parts(spent).await;
    assert_eq!(status, 422);
    assert!(page.contains("Ce lien est inconnu"), "the link works once");
    let (status, location, _) = browser
        .submit(
            &app,
            "/connexion",
            &[
                ("email", "anna@exemple.fr"),
                ("password", "kouign-amann et cidre brut"),
                ("retour", "/produits/produit-acc-3"),
                ("_csrf", &csrf),
            ],
        )
        .await;
    assert_eq!((status, location.as_str()), (303, "/produits/produit-acc-3"));

    // Favourites: added from the product page, listed, removed.
    let (_, product) = browser.get(&app, "/produits/produit-acc-3").await;
    let csrf = field(&product, "_csrf");
    assert!(product.contains("Ajouter aux favoris"));
    browser
        .post(
            &app,
            &favourite,
            &[("retour", "/produits/produit-acc-3"), ("_csrf", &csrf)],
            false,
        )
        .await;
    let (_, product) = browser.get(&app, "/produits/produit-acc-3").await;
    assert!(product.contains("Retirer des favoris"), "{product}");
    let (_, favourites) = browser.get(&app, "/favoris").await;
    assert!(favourites.contains("Produit ACC-3"));
    browser
        .post(&app, &format!("{favourite}/supprimer"), &[("_csrf", &csrf)], false)
        .await;
    let (_, favourites) = browser.get(&app, "/favoris").await;
    assert!(!favourites.contains("Produit ACC-3"));
    let (status, _, _) = browser
        .submit(&app, &format!("/favoris/{}", Uuid::now_v7()), &[("_csrf", &csrf)])
        .await;
    assert_eq!(status, 404, "no such product");

    // Profile: an invalid phone comes back with its reason and changes nothing.
    let (status, _, page) = browser
        .submit(
            &app,
            "/compte/profil",
            &[
                ("first_name", "Anna"),
                ("last_name", "Kerbrat"),
                ("phone", "pas un numéro"),
                ("_csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("Téléphone"), "{page}");
    let (status, location, _) = browser
        .submit(
            &app,
            "/compte/profil",
            &[
                ("first_name", "Anna"),
                ("last_name", "Kerbrat"),
                ("phone", "0612345678"),
                ("_csrf", &csrf),
            ],
        )
        .await;
    assert_eq!((status, location.as_str()), (303, "/compte?enregistre=1#profil"));
    let (_, account) = browser.get(&app, "/compte?enregistre=1").await;
    assert!(account.contains("value=\"Kerbrat\"") && account.contains("Modifications enregistrées"));

    // Addresses: a bad postal code is refused, a good address is listed,
    // then deleted; the checkout starts from the default one.
    let address = |postal: &'static str| {
        [
            ("first_name", "Anna"),
            ("last_name", "Kerbrat"),
            ("line1", "5 place Saint-Corentin"),
            ("postal_code", postal),
            ("city", "Quimper"),
            ("country", "FR"),
            ("default_shipping", "1"),
        ]
    };
    let mut bad: Vec<(&str, &str)> = address("ABC").to_vec();
    bad.push(("_csrf", &csrf));
    let (status, _, page) = browser.submit(&app, "/compte/adresses", &bad).await;
    assert_eq!(status, 422);
    assert!(
        page.contains("value=\"5 place Saint-Corentin\""),
        "what was typed stays"
    );
    let mut good: Vec<(&str, &str)> = address("29000").to_vec();
    good.push(("_csrf", &csrf));
    let (status, _, _) = browser.submit(&app, "/compte/adresses", &good).await;
    assert_eq!(status, 303);
    let (_, account) = browser.get(&app, "/compte").await;
    assert!(account.contains("5 place Saint-Corentin"));
    let address_id: Uuid = sqlx::query_scalar("SELECT id FROM addresses")
        .fetch_one(app.db())
        .await
        .unwrap();
    // Changing it: the form comes filled in, a bad field comes back on the
    // same address, a good change is kept; another id is a 404.
    let (_, editing) = browser.get(&app, &format!("/compte?adresse={address_id}")).await;
    assert!(
        editing.contains(&format!("action=\"/compte/adresses/{address_id}\""))
            && editing.contains("Modifier l’adresse")
            && editing.contains("value=\"5 place Saint-Corentin\""),
        "{editing}"
    );
    let mut moved: Vec<(&str, &str)> = address("ABC").to_vec();
    moved[2] = ("line1", "7 rue Kéréon");
    moved.push(("_csrf", &csrf));
    let (status, _, page) = browser
        .submit(&app, &format!("/compte/adresses/{address_id}"), &moved)
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains(&format!("action=\"/compte/adresses/{address_id}\"")) && page.contains("value=\"7 rue Kéréon\""),
        "{page}"
    );
    moved[3] = ("postal_code", "29000");
    let (status, _, _) = browser
        .submit(&app, &format!("/compte/adresses/{address_id}"), &moved)
        .await;
    assert_eq!(status, 303);
    let (_, account) = browser.get(&app, "/compte").await;
    assert!(
        account.contains("7 rue Kéréon") && !account.contains("5 place Saint-Corentin"),
        "{account}"
    );
    let (status, _, _) = browser
        .submit(&app, &format!("/compte/adresses/{}", Uuid::now_v7()), &moved)
        .await;
    assert_eq!(status, 404);

    // Someone else's address id is a 404 and deletes nothing.
    let (status, _, _) = browser
        .submit(
            &app,
            &format!("/compte/adresses/{}/supprimer", Uuid::now_v7()),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(status, 404);
    let (status, _, _) = browser
        .submit(
            &app,
            &format!("/compte/adresses/{address_id}/supprimer"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(status, 303);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM addresses")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(left, 0);
}
