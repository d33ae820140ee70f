//! The public category tree, with the number of products shoppers can buy
//! in each.

use std::collections::HashMap;

use comptoir_db::catalog::{self as db, Category};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::cached::cached_body;
use crate::Context;
use crate::error::AppError;

/// A category of the public tree.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CategoryNode {
    pub id: Uuid,
    #[schema(example = "velo")]
    pub slug: String,
    #[schema(example = "Vélo")]
    pub name: String,
    pub description: String,
    pub position: i32,
    /// Active products in this category and every category below it.
    pub product_count: i64,
    #[schema(no_recursion)]
    pub children: Vec<CategoryNode>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CategoryTree {
    pub items: Vec<CategoryNode>,
}

pub const TREE_KEY: &str = "categories";

pub async fn tree_json(state: &Context) -> Result<Vec<u8>, AppError> {
    let mut conn = state.db.acquire().await?;
    let categories = db::list_categories(&mut conn).await?;
    let counts: HashMap<Uuid, i64> = db::active_product_counts(&mut conn).await?.into_iter().collect();
    serde_json::to_vec(&CategoryTree {
        items: tree(&categories, &counts),
    })
    .map_err(AppError::internal)
}

/// The public tree, from the catalog cache (the API's own answer): pages
/// read it without a query until the catalog changes.
pub async fn cached_tree(state: &Context) -> Result<std::sync::Arc<CategoryTree>, AppError> {
    let answer = cached_body(state, TREE_KEY, async || tree_json(state).await).await?;
    answer.parsed().await
}

impl CategoryTree {
    /// The category with this slug, anywhere in the tree.
    pub fn find(&self, slug: &str) -> Option<&CategoryNode> {
        fn walk<'a>(nodes: &'a [CategoryNode], slug: &str) -> Option<&'a CategoryNode> {
            nodes.iter().find_map(|n| {
                if n.slug == slug {
                    Some(n)
                } else {
                    walk(&n.children, slug)
                }
            })
        }
        walk(&self.items, slug)
    }
}

/// Builds the tree from the flat list (already ordered by position).
pub fn tree(categories: &[Category], counts: &HashMap<Uuid, i64>) -> Vec<CategoryNode> {
    let mut children: HashMap<Option<Uuid>, Vec<&Category>> = HashMap::new();
    for category in categories {
        children.entry(category.parent_id).or_default().push(category);
    }
    fn build(
        parent: Option<Uuid>,
        children: &HashMap<Option<Uuid>, Vec<&Category>>,
        counts: &HashMap<Uuid, i64>,
        depth: usize,
    ) -> Vec<CategoryNode> {
        // The database refuses cycles through the API; the depth bound
        // keeps a hand-edited one from looping.
        if depth > 32 {
            return Vec::new();
        }
        children
            .get(&parent)
            .map(|list| {
                list.iter()
                    .map(|c| {
                        let below = build(Some(c.id), children, counts, depth + 1);
                        let own = counts.get(&c.id).copied().unwrap_or(0);
                        CategoryNode {
                            id: c.id,
                            slug: c.slug.clone(),
                            name: c.name.clone(),
                            description: c.description.clone(),
                            position: c.position,
                            product_count: own + below.iter().map(|b| b.product_count).sum::<i64>(),
                            children: below,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
    build(None, &children, counts, 0)
}
