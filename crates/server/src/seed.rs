//! Demo data. Each context adds its part here as it is built; every part is
//! idempotent so `serve --demo` can run at every start.

use comptoir_db::catalog::{self as db, AttributeDefinition, AttributeType, Category};
use comptoir_db::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use comptoir_app::catalog::import::import_csv;
use comptoir_app::catalog::rules::RuleCache;

/// The demo catalog: a Breton sports retailer's range and a cooper's oak
/// barrels, one row per variant, in the import format
/// (`scripts/demo_catalog.py` writes it).
const DEMO_CATALOG: &str = include_str!("seed/demo_catalog.csv");

/// A category's slug and name.
type Named = (&'static str, &'static str);

/// Top categories and their leaves.
const CATEGORIES: &[(Named, &[Named])] = &[
    (
        ("running", "Running"),
        &[
            ("chaussures-running", "Chaussures de running"),
            ("textile-running", "Textile running"),
            ("montres-gps", "Montres GPS"),
        ],
    ),
    (
        ("velo", "Vélo"),
        &[
            ("velos-route", "Vélos de route"),
            ("vtt", "VTT"),
            ("velos-ville", "Vélos de ville"),
            ("accessoires-velo", "Accessoires vélo"),
        ],
    ),
    (
        ("randonnee", "Randonnée"),
        &[
            ("chaussures-randonnee", "Chaussures de randonnée"),
            ("sacs-a-dos", "Sacs à dos"),
            ("tentes", "Tentes"),
            ("guides-randonnee", "Guides de randonnée"),
        ],
    ),
    (
        ("sports-nautiques", "Sports nautiques"),
        &[("surf", "Surf"), ("kayak", "Kayak"), ("combinaisons", "Combinaisons")],
    ),
    (
        ("football", "Football"),
        &[
            ("ballons", "Ballons"),
            ("chaussures-football", "Chaussures de football"),
            ("maillots", "Maillots"),
        ],
    ),
    (
        ("fitness", "Fitness"),
        &[
            ("musculation", "Musculation"),
            ("yoga", "Yoga"),
            ("magazines-fitness", "Magazines fitness"),
        ],
    ),
    (
        ("futs-de-chene", "Fûts de chêne"),
        &[
            ("barriques", "Barriques"),
            ("foudres", "Foudres"),
            ("tonnelets", "Tonnelets"),
        ],
    ),
];

const SPORTS: [&str; 6] = [
    "running",
    "velo",
    "randonnee",
    "sports-nautiques",
    "football",
    "fitness",
];

/// Seeds the demo data of every context that has some.
pub async fn demo(pool: &PgPool) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let mut tx = pool.begin().await?;
    demo_catalog_structure(&mut tx).await?;
    let report = import_csv(&mut tx, &RuleCache::default(), DEMO_CATALOG.as_bytes(), false)
        .await
        .map_err(|err| anyhow::anyhow!("the demo catalog does not import: {err}"))?;
    if !report.applied {
        let first = report
            .rejected
            .first()
            .map(|r| format!("line {}: {}", r.line, r.reason));
        anyhow::bail!("the demo catalog has rejected rows ({first:?})");
    }
    let stocked = demo_inventory(&mut tx).await?;
    tx.commit().await?;
    tracing::info!(
        stocked_locations = stocked,
        created = report.created,
        updated = report.updated,
        unchanged = report.unchanged,
        elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "demo catalog loaded"
    );
    Ok(())
}

/// The chain: `(code, name, city, postal code, warehouse?, ships online?)`.
const LOCATIONS: [(&str, &str, &str, &str, bool, bool); 6] = [
    (
        "ENTREPOT-RENNES",
        "Entrepôt central de Rennes",
        "Rennes",
        "35000",
        true,
        true,
    ),
    ("RENNES", "Magasin de Rennes", "Rennes", "35000", false, true),
    ("BREST", "Magasin de Brest", "Brest", "29200", false, false),
    ("QUIMPER", "Magasin de Quimper", "Quimper", "29000", false, false),
    ("VANNES", "Magasin de Vannes", "Vannes", "56000", false, false),
    (
        "SAINT-MALO",
        "Magasin de Saint-Malo",
        "Saint-Malo",
        "35400",
        false,
        false,
    ),
];

/// The warehouse and the five stores, and their first stock: the
/// warehouse holds every variant, the stores a few units of the sports
/// range (barrels are sold from the warehouse). Locations are added when
/// missing; stock is received once per location, so a rerun changes
/// nothing. Answers how many locations received stock.
async fn demo_inventory(conn: &mut PgConnection) -> anyhow::Result<usize> {
    use comptoir_db::inventory as stock;
    let existing = stock::list_locations(conn, None).await?;
    let variants = stock::stockable_variants(conn).await?;
    let mut stocked = 0;
    for (index, (code, name, city, postal_code, warehouse, ships_online)) in LOCATIONS.into_iter().enumerate() {
        let location = match existing.iter().find(|l| l.code == code) {
            Some(location) => location.clone(),
            None => {
                let now = OffsetDateTime::now_utc();
                let hours = if warehouse {
                    serde_json::json!({})
                } else {
                    let day = serde_json::json!([["09:30", "19:00"]]);
                    serde_json::json!({"monday": [["14:00", "19:00"]], "tuesday": day, "wednesday": day,
                                       "thursday": day, "friday": day, "saturday": [["09:30", "19:30"]], "sunday": []})
                };
                stock::save_location(
                    conn,
                    &stock::Location {
                        id: Uuid::now_v7(),
                        code: code.to_owned(),
                        name: name.to_owned(),
                        kind: if warehouse { "warehouse" } else { "store" }.to_owned(),
                        address: serde_json::json!({"city": city, "postal_code": postal_code, "country": "FR"}),
                        timezone: "Europe/Paris".to_owned(),
                        opening_hours: hours,
                        ships_online,
                        click_and_collect: !warehouse,
                        active: true,
                        version: 1,
                        created_at: now,
                        updated_at: now,
                    },
                )
                .await?
            }
        };
        let has_stock = stock::has_movements(conn, location.id).await?;
        if has_stock {
            continue;
        }
        // A deterministic spread: the same catalog always gets the same stock.
        let lines: Vec<(Uuid, i32)> = variants
            .iter()
            .filter_map(|v| {
                let spread = v.sku.bytes().fold(u32::try_from(index).unwrap_or(0) * 7919, |h, b| {
                    h.wrapping_mul(31).wrapping_add(u32::from(b))
                });
                let units = if warehouse {
                    5 + spread % 60
                } else if SPORTS.contains(&v.top_category.as_str()) {
                    spread % 7
                } else {
                    0
                };
                (units > 0).then(|| (v.id, i32::try_from(units).unwrap_or(1)))
            })
            .collect();
        let thresholds = if warehouse { (10, 40) } else { (2, 6) };
        stock::receive_in_bulk(conn, location.id, &lines, thresholds, "Stock initial de la démo").await?;
        stocked += 1;
    }
    Ok(stocked)
}

/// Categories, attribute types and definitions of the demo catalog, added
/// when missing.
async fn demo_catalog_structure(conn: &mut PgConnection) -> anyhow::Result<()> {
    let now = OffsetDateTime::now_utc();
    let mut ids = std::collections::HashMap::new();
    for (position, ((slug, name), leaves)) in (0_i32..).zip(CATEGORIES) {
        let top = ensure_category(conn, slug, name, None, position).await?;
        ids.insert(*slug, top);
        for (leaf_position, (leaf, leaf_name)) in (0_i32..).zip(leaves.iter()) {
            ensure_category(conn, leaf, leaf_name, Some(top), leaf_position).await?;
        }
    }
    let enumeration = |name: &str, label: &str, values: &[&str]| AttributeType {
        id: Uuid::now_v7(),
        name: name.to_owned(),
        label: label.to_owned(),
        kind: "enum".to_owned(),
        format: None,
        pattern: None,
        min_value: None,
        max_value: None,
        allowed_values: values.iter().map(|v| (*v).to_owned()).collect(),
        unit: None,
        built_in: false,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let types = [
        enumeration("genre", "Genre", &["homme", "femme", "mixte", "enfant"]),
        enumeration("niveau", "Niveau", &["debutant", "intermediaire", "confirme"]),
        enumeration(
            "previous_content",
            "Contenu précédent",
            &["neuf", "vin_rouge", "vin_blanc", "cognac", "whisky", "rhum", "porto"],
        ),
        AttributeType {
            kind: "text".to_owned(),
            format: Some("iso_country".to_owned()),
            pattern: Some("[A-Z]{2}".to_owned()),
            allowed_values: Vec::new(),
            ..enumeration("origin", "Origine du bois", &[])
        },
    ];
    for t in &types {
        if db::attribute_type_by_name(conn, &t.name).await?.is_none() {
            db::save_attribute_type(conn, t).await?;
        }
    }
    let mut attach = Vec::new();
    for sport in SPORTS {
        attach.push((sport, "genre", false));
        attach.push((sport, "niveau", false));
    }
    attach.extend([
        ("futs-de-chene", "wood_type", true),
        ("futs-de-chene", "volume_liters", true),
        ("futs-de-chene", "previous_content", false),
        ("futs-de-chene", "origin", false),
    ]);
    let existing = db::list_definitions(conn).await?;
    for (category, type_name, required) in attach {
        let Some(category_id) = ids.get(category).copied() else {
            continue;
        };
        let Some(t) = db::attribute_type_by_name(conn, type_name).await? else {
            continue;
        };
        if existing
            .iter()
            .any(|d| d.category_id == category_id && d.attribute_type_id == t.id)
        {
            continue;
        }
        db::save_definition(
            conn,
            &AttributeDefinition {
                id: Uuid::now_v7(),
                category_id,
                attribute_type_id: t.id,
                required,
                filterable: true,
                position: 0,
                version: 1,
                created_at: now,
                updated_at: now,
            },
        )
        .await?;
    }
    Ok(())
}

async fn ensure_category(
    conn: &mut PgConnection,
    slug: &str,
    name: &str,
    parent_id: Option<Uuid>,
    position: i32,
) -> anyhow::Result<Uuid> {
    if let Some(existing) = db::category_by_slug(conn, slug).await? {
        return Ok(existing.id);
    }
    let now = OffsetDateTime::now_utc();
    let category = db::insert_category(
        conn,
        &Category {
            id: Uuid::now_v7(),
            parent_id,
            slug: slug.to_owned(),
            name: name.to_owned(),
            description: String::new(),
            position,
            version: 1,
            created_at: now,
            updated_at: now,
        },
    )
    .await?;
    Ok(category.id)
}

/// `seed --products N`: N generated products (numbered 1 to N, three
/// variants each) in the sports categories, in batches; products already
/// there are kept, so running it again with a bigger N only adds the rest.
pub async fn generated_products(pool: &PgPool, count: u32) -> anyhow::Result<()> {
    const BATCH: i64 = 20_000;
    let started = std::time::Instant::now();
    let mut conn = pool.acquire().await?;
    demo_catalog_structure(&mut conn).await?;
    let mut leaves = Vec::new();
    for ((top, _), children) in CATEGORIES {
        if SPORTS.contains(top) {
            for (slug, _) in children.iter() {
                if let Some(category) = db::category_by_slug(&mut conn, slug).await? {
                    leaves.push(category.id);
                }
            }
        }
    }
    let total = i64::from(count);
    let mut from = 1;
    let mut inserted = 0;
    while from <= total {
        let to = (from + BATCH - 1).min(total);
        let mut tx = pool.begin().await?;
        inserted += db::insert_generated_products(&mut tx, from, to, &leaves).await?;
        tx.commit().await?;
        tracing::info!(up_to = to, of = total, "generated products");
        from = to + 1;
    }
    db::vacuum_catalog(&mut conn).await?;
    tracing::info!(
        inserted,
        elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "generated products ready"
    );
    Ok(())
}
