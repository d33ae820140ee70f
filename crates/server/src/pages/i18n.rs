//! The pages' words in French (the default) and English. The language is
//! the `lang` cookie the switcher sets, else the browser's
//! `Accept-Language`, else French.

use axum::http::{HeaderMap, header};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Fr,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "fr" => Some(Lang::Fr),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The other language, for the switcher.
    pub fn other(self) -> Lang {
        match self {
            Lang::Fr => Lang::En,
            Lang::En => Lang::Fr,
        }
    }

    /// The cookie first, then the first of `fr` or `en` the browser lists
    /// (by weight), then French.
    pub fn of(headers: &HeaderMap) -> Lang {
        if let Some(lang) = super::session::cookie(headers, "lang").and_then(Lang::parse) {
            return lang;
        }
        let Some(accept) = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()) else {
            return Lang::Fr;
        };
        let mut best: Option<(f32, Lang)> = None;
        for part in accept.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or_default().trim().to_ascii_lowercase();
            let weight = pieces
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()))
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or_default();
            if let Some(lang) = Lang::parse(primary)
                && best.is_none_or(|(w, _)| weight > w)
            {
                best = Some((weight, lang));
            }
        }
        best.map_or(Lang::Fr, |(_, lang)| lang)
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Fr => &FR,
            Lang::En => &EN,
        }
    }
}

/// Every sentence the shop's pages show, in one language.
pub struct Texts {
    pub language_name: &'static str,
    pub switch_to: &'static str,
    pub skip_to_content: &'static str,
    pub shop_name: &'static str,
    pub tagline: &'static str,
    pub search: &'static str,
    pub search_placeholder: &'static str,
    pub cart: &'static str,
    pub items_in_cart: &'static str,
    pub categories: &'static str,
    pub featured_categories: &'static str,
    pub new_products: &'static str,
    pub products_found: &'static str,
    pub no_results: &'static str,
    pub did_you_mean: &'static str,
    pub filter: &'static str,
    pub filters: &'static str,
    pub brand: &'static str,
    pub price: &'static str,
    pub sort_by: &'static str,
    pub sort_relevance: &'static str,
    pub sort_newest: &'static str,
    pub sort_price_asc: &'static str,
    pub sort_price_desc: &'static str,
    pub next_page: &'static str,
    pub first_page: &'static str,
    pub from_price: &'static str,
    pub vat_included: &'static str,
    pub in_stock: &'static str,
    pub out_of_stock: &'static str,
    pub available_online: &'static str,
    pub in_stores: &'static str,
    pub choose_variant: &'static str,
    pub quantity: &'static str,
    pub add_to_cart: &'static str,
    pub added_to_cart: &'static str,
    pub characteristics: &'static str,
    pub description: &'static str,
    pub your_cart: &'static str,
    pub cart_empty: &'static str,
    pub continue_shopping: &'static str,
    pub product: &'static str,
    pub unit_price: &'static str,
    pub total: &'static str,
    pub update: &'static str,
    pub remove: &'static str,
    pub subtotal: &'static str,
    pub shipping_estimate: &'static str,
    pub shipping_from: &'static str,
    pub vat_of_which: &'static str,
    pub grand_total: &'static str,
    pub checkout: &'static str,
    pub legal_notice: &'static str,
    pub terms: &'static str,
    pub privacy: &'static str,
    pub api_docs: &'static str,
    pub error_title: &'static str,
    pub not_found_title: &'static str,
    pub not_found_text: &'static str,
    pub forbidden_title: &'static str,
    pub forbidden_text: &'static str,
    pub bad_request_title: &'static str,
    pub server_error_title: &'static str,
    pub server_error_text: &'static str,
    pub request_id: &'static str,
    pub back_home: &'static str,
    pub stale_form: &'static str,
    pub invalid_input: &'static str,
    pub vat: &'static str,
    pub pagination: &'static str,
    pub any_price: &'static str,
    pub contact: &'static str,
    pub email: &'static str,
    pub delivery_address: &'static str,
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub address: &'static str,
    pub address_more: &'static str,
    pub postal_code: &'static str,
    pub city: &'static str,
    pub country: &'static str,
    pub phone: &'static str,
    pub payment: &'static str,
    pub test_card: &'static str,
    pub place_order: &'static str,
    pub payment_declined: &'static str,
    pub payment_declined_text: &'static str,
    pub pay_again: &'static str,
    pub thank_you: &'static str,
    pub order_confirmed: &'static str,
    pub confirmation_sent: &'static str,
    pub order_waiting: &'static str,
}

pub static FR: Texts = Texts {
    language_name: "Français",
    switch_to: "English",
    skip_to_content: "Aller au contenu",
    shop_name: "Comptoir",
    tagline: "Sport en Bretagne et fûts de chêne, en ligne et en magasin",
    search: "Rechercher",
    search_placeholder: "Vélo, tente, fût de chêne…",
    cart: "Panier",
    items_in_cart: "articles dans le panier",
    categories: "Catégories",
    featured_categories: "Nos rayons",
    new_products: "Nouveautés",
    products_found: "produits",
    no_results: "Aucun produit ne correspond à votre recherche.",
    did_you_mean: "Essayez un autre mot ou retirez un filtre.",
    filter: "Filtrer",
    filters: "Filtres",
    brand: "Marque",
    price: "Prix",
    sort_by: "Trier par",
    sort_relevance: "Pertinence",
    sort_newest: "Nouveautés",
    sort_price_asc: "Prix croissant",
    sort_price_desc: "Prix décroissant",
    next_page: "Page suivante",
    first_page: "Première page",
    from_price: "à partir de",
    vat_included: "TTC",
    in_stock: "En stock",
    out_of_stock: "Épuisé en ligne",
    available_online: "disponibles en ligne",
    in_stores: "En magasin (retrait)",
    choose_variant: "Choisissez une déclinaison",
    quantity: "Quantité",
    add_to_cart: "Ajouter au panier",
    added_to_cart: "Ajouté au panier.",
    characteristics: "Caractéristiques",
    description: "Description",
    your_cart: "Votre panier",
    cart_empty: "Votre panier est vide.",
    continue_shopping: "Continuer mes achats",
    product: "Produit",
    unit_price: "Prix unitaire",
    total: "Total",
    update: "Mettre à jour",
    remove: "Retirer",
    subtotal: "Sous-total",
    shipping_estimate: "Livraison",
    shipping_from: "à partir de 4,90 € (Colissimo), offerte en retrait magasin",
    vat_of_which: "dont TVA",
    grand_total: "Total TTC",
    checkout: "Passer commande",
    legal_notice: "Mentions légales",
    terms: "Conditions générales de vente",
    privacy: "Confidentialité",
    api_docs: "API",
    error_title: "Une erreur est survenue",
    not_found_title: "Page introuvable",
    not_found_text: "Cette page n’existe pas ou plus.",
    forbidden_title: "Accès refusé",
    forbidden_text: "Vous n’avez pas accès à cette page.",
    bad_request_title: "Demande invalide",
    server_error_title: "Erreur du serveur",
    server_error_text: "Nous n’avons pas pu afficher cette page. Réessayez dans un instant.",
    request_id: "Référence de la demande",
    back_home: "Retour à l’accueil",
    stale_form: "Ce formulaire a expiré : rechargez la page et recommencez.",
    invalid_input: "Cette demande n’a pas pu être traitée : vérifiez ce que vous avez saisi et réessayez.",
    vat: "TVA",
    pagination: "Pages de résultats",
    any_price: "Tous les prix",
    contact: "Contact",
    email: "Adresse e-mail",
    delivery_address: "Adresse de livraison",
    first_name: "Prénom",
    last_name: "Nom",
    address: "Adresse",
    address_more: "Complément d’adresse",
    postal_code: "Code postal",
    city: "Ville",
    country: "Pays",
    phone: "Téléphone (facultatif)",
    payment: "Paiement",
    test_card: "Carte (passerelle de test)",
    place_order: "Commander et payer",
    payment_declined: "Paiement refusé",
    payment_declined_text: "Votre carte a été refusée. Votre commande est gardée : vous pouvez payer avec une autre carte.",
    pay_again: "Payer",
    thank_you: "Merci pour votre commande !",
    order_confirmed: "Votre commande est confirmée sous le numéro",
    confirmation_sent: "Un e-mail de confirmation part à",
    order_waiting: "Votre commande attend son paiement.",
};

pub static EN: Texts = Texts {
    language_name: "English",
    switch_to: "Français",
    skip_to_content: "Skip to content",
    shop_name: "Comptoir",
    tagline: "Breton sports gear and oak barrels, online and in store",
    search: "Search",
    search_placeholder: "Bike, tent, oak barrel…",
    cart: "Cart",
    items_in_cart: "items in the cart",
    categories: "Categories",
    featured_categories: "Departments",
    new_products: "New arrivals",
    products_found: "products",
    no_results: "No product matches your search.",
    did_you_mean: "Try another word or remove a filter.",
    filter: "Filter",
    filters: "Filters",
    brand: "Brand",
    price: "Price",
    sort_by: "Sort by",
    sort_relevance: "Relevance",
    sort_newest: "Newest",
    sort_price_asc: "Price, low to high",
    sort_price_desc: "Price, high to low",
    next_page: "Next page",
    first_page: "First page",
    from_price: "from",
    vat_included: "incl. VAT",
    in_stock: "In stock",
    out_of_stock: "Sold out online",
    available_online: "available online",
    in_stores: "In store (collect)",
    choose_variant: "Choose a variant",
    quantity: "Quantity",
    add_to_cart: "Add to cart",
    added_to_cart: "Added to your cart.",
    characteristics: "Specifications",
    description: "Description",
    your_cart: "Your cart",
    cart_empty: "Your cart is empty.",
    continue_shopping: "Continue shopping",
    product: "Product",
    unit_price: "Unit price",
    total: "Total",
    update: "Update",
    remove: "Remove",
    subtotal: "Subtotal",
    shipping_estimate: "Shipping",
    shipping_from: "from €4.90 (Colissimo), free when collected in store",
    vat_of_which: "of which VAT",
    grand_total: "Total incl. VAT",
    checkout: "Check out",
    legal_notice: "Legal notice",
    terms: "Terms of sale",
    privacy: "Privacy",
    api_docs: "API",
    error_title: "Something went wrong",
    not_found_title: "Page not found",
    not_found_text: "This page does not exist, or no longer does.",
    forbidden_title: "Access denied",
    forbidden_text: "You may not see this page.",
    bad_request_title: "Invalid request",
    server_error_title: "Server error",
    server_error_text: "We could not show this page. Please try again in a moment.",
    request_id: "Request reference",
    back_home: "Back to the home page",
    stale_form: "This form has expired: reload the page and try again.",
    invalid_input: "This request could not be processed: check what you entered and try again.",
    vat: "VAT",
    pagination: "Result pages",
    any_price: "Any price",
    contact: "Contact",
    email: "Email address",
    delivery_address: "Delivery address",
    first_name: "First name",
    last_name: "Last name",
    address: "Address",
    address_more: "Address, line 2",
    postal_code: "Postal code",
    city: "City",
    country: "Country",
    phone: "Phone (optional)",
    payment: "Payment",
    test_card: "Card (test gateway)",
    place_order: "Place order and pay",
    payment_declined: "Payment declined",
    payment_declined_text: "Your card was declined. Your order is kept: you can pay with another card.",
    pay_again: "Pay",
    thank_you: "Thank you for your order!",
    order_confirmed: "Your order is confirmed as",
    confirmation_sent: "A confirmation email goes to",
    order_waiting: "Your order is waiting for its payment.",
};

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(name: header::HeaderName, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn french_unless_the_browser_or_the_switcher_prefers_english() {
        assert_eq!(Lang::of(&HeaderMap::new()), Lang::Fr);
        assert_eq!(Lang::of(&with(header::ACCEPT_LANGUAGE, "en-GB,en;q=0.9")), Lang::En);
        assert_eq!(
            Lang::of(&with(header::ACCEPT_LANGUAGE, "en;q=0.5, fr-FR;q=0.8")),
            Lang::Fr
        );
        assert_eq!(Lang::of(&with(header::ACCEPT_LANGUAGE, "de-DE, it")), Lang::Fr);
        assert_eq!(Lang::of(&with(header::COOKIE, "a=b; lang=en")), Lang::En);
    }
}
