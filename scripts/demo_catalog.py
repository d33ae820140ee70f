#!/usr/bin/env python3
"""Generate the French demo catalog of Comptoir.

The demo shop sells sports goods (running, vélo, randonnée, sports nautiques,
football, fitness) and oak barrels (barriques, foudres, tonnelets) under
fictional Breton brands. This script writes that catalog to stdout in
Comptoir's product import/export CSV format: UTF-8, `;` separated, one header
row, then one row per variant, the product columns repeated on every row of
the product.

The output is deterministic (a fixed random seed, standard library only), so
regenerating it gives the same file byte for byte:

    python3 scripts/demo_catalog.py > crates/server/src/seed/demo_catalog.csv

and the result can be checked against the format rules with:

    python3 scripts/demo_catalog.py --check crates/server/src/seed/demo_catalog.csv
"""

from __future__ import annotations

import csv
import random
import re
import sys
import unicodedata
from collections import Counter, defaultdict

SEED = 20240611

HEADER = [
    "sku", "product_slug", "product_name", "brand", "category", "status",
    "tax_class", "description", "image_urls", "attributes", "options",
    "ean13", "price_minor", "compare_at_price_minor", "weight_grams",
]

# Leaf categories, in the order the file lists them.
CATEGORY_ORDER = [
    "chaussures-running", "textile-running", "montres-gps",                 # running
    "velos-route", "vtt", "velos-ville", "accessoires-velo",                # vélo
    "chaussures-randonnee", "sacs-a-dos", "tentes", "guides-randonnee",     # randonnée
    "surf", "kayak", "combinaisons",                                        # sports nautiques
    "ballons", "chaussures-football", "maillots",                           # football
    "musculation", "yoga", "magazines-fitness",                             # fitness
    "barriques", "foudres", "tonnelets",                                    # fûts de chêne
]

# ---------------------------------------------------------------------------
# Reference data
# ---------------------------------------------------------------------------

# Model names: Breton lighthouses, islands, capes, rivers and places.
MODELS = [
    "Ar Men", "Ouessant", "Crozon", "Glénan", "Brocéliande", "Molène", "Bréhat",
    "Belle-Île", "Houat", "Hoëdic", "Groix", "Quiberon", "Carnac", "Paimpol",
    "Fréhel", "Erquy", "Cancale", "Huelgoat", "Arrée", "Ménez-Hom", "Roscoff",
    "Aber Wrac'h", "Douarnenez", "Penmarc'h", "Pointe du Raz", "Bénodet",
    "Concarneau", "Pont-Aven", "Étel", "Rhuys", "Guerlédan", "Argoat", "Trégor",
    "Goëlo", "Cornouaille", "Élorn", "Odet", "Blavet", "Scorff", "Trieux",
    "Kerlouan", "Saint-Mathieu", "Pen-Hir", "Toulinguet", "Ploumanac'h", "Sein",
    "Locronan", "Landévennec", "Mont Saint-Michel", "Tévennec", "Kéréon",
    "La Jument", "Le Stiff", "Créac'h", "Nividic", "Les Pierres Noires",
    "Sept-Îles", "Batz", "Arz", "Gâvres",
]

COLORS = {  # value -> SKU code
    "noir": "NOI", "blanc": "BLA", "bleu marine": "MAR", "bleu": "BLE",
    "rouge": "ROU", "gris": "GRI", "vert sapin": "SAP", "jaune fluo": "JAU",
    "orange": "ORA", "corail": "COR", "anthracite": "ANT", "sable": "SAB",
    "kaki": "KAK", "bordeaux": "BOR", "turquoise": "TUR", "ardoise": "ARD",
}
BRIGHT = ["jaune fluo", "orange", "corail", "bleu", "rouge", "turquoise", "noir", "blanc"]
SOBER = ["noir", "bleu marine", "gris", "anthracite", "vert sapin", "kaki", "ardoise", "sable"]

CHAUFFES = {"légère": "LEG", "moyenne": "MOY", "moyenne plus": "MOP", "forte": "FOR"}

APPAREL_SIZES = ["XS", "S", "M", "L", "XL", "XXL"]
KID_SIZES = ["6 ans", "8 ans", "10 ans", "12 ans", "14 ans"]
SHOE_SIZES = {  # genre -> available pointures
    "homme": range(40, 47), "femme": range(36, 43), "mixte": range(38, 47),
    "enfant": range(28, 37), None: range(38, 47),
}
GENRE_WORD = {"homme": " homme", "femme": " femme", "enfant": " enfant", "mixte": "", None: ""}
NIVEAUX = ["debutant", "intermediaire", "confirme"]

WOODS = {  # code -> (label, "de ..." form, default origins)
    "chene_francais": ("chêne français", "de chêne français", ["FR"]),
    "chene_americain": ("chêne américain", "de chêne américain", ["US"]),
    "chene_hongrois": ("chêne hongrois", "de chêne hongrois", ["HU"]),
    "acacia": ("acacia", "d'acacia", ["FR", "HU"]),
    "chataignier": ("châtaignier", "de châtaignier", ["FR", "ES", "PT"]),
}
PREVIOUS = {  # code -> label with partitive article
    "vin_rouge": "du vin rouge", "vin_blanc": "du vin blanc", "cognac": "du cognac",
    "whisky": "du whisky", "rhum": "du rhum", "porto": "du porto",
}
BARREL_LINES = ["Tradition", "Prestige", "Grand Cru", "Signature", "Terroir",
                "Héritage", "Réserve", "Patrimoine", "Millésime", "Sélection"]

# GS1 company prefixes (fictional) after the French 376 range: 4 digits each.
BRAND_GS1 = {
    "Kerlann": "0412", "Iroise": "0527", "Ty Velo": "0638", "Armor Outdoor": "0741",
    "Penn Ar Bed": "0856", "Mor Braz": "0963", "Glaz Sport": "1074",
    "Breizh Fit": "1185", "Éditions du Goëlo": "1296",
    "Tonnellerie Morvan": "2307", "Tonnellerie du Léon": "2418",
    "Tonnellerie Cognaçaise Delmas": "2529",
}

# ---------------------------------------------------------------------------
# Sentences shared by the sports categories
# ---------------------------------------------------------------------------

# {noun} is the type's noun with its indefinite article ("une chaussure de
# trail"), {the} the same with the definite one; {e} agrees with its gender.
SPORT_INTROS = [
    "Avec le modèle {model}, {brand} signe {noun} qui {usage}.",
    "Conçu{e} par {brand}, {the} {model} {usage}.",
    "Le modèle {model} est {noun} qui {usage}.",
    "{Dernier} de la gamme {brand}, {the} {model} {usage}.",
    "Pensé{e} pour {public}, {the} {model} {usage}.",
    "Testé{e} sur les côtes bretonnes par l'équipe {brand}, {the} {model} {usage}.",
]

# ---------------------------------------------------------------------------
# Categories and product types
#
# A type describes one kind of product: its name pattern ({g} is the genre
# word, {model} the model name), its SKU code, the phrases its description is
# built from, its price (euro cents, VAT included) and weight (grams) ranges,
# and how its variants are made (`scheme`).
# ---------------------------------------------------------------------------

CATEGORIES = [
    # ----------------------------------------------------------------- running
    {
        "slug": "chaussures-running", "prefix": "RUN", "count": 26,
        "brands": ["Kerlann", "Iroise", "Glaz Sport", "Breizh Fit"],
        "public": "les coureurs réguliers",
        "suffixes": ["", "", " 2", " 3", " Évolution", " Light", " Pro", " Confort"],
        "closings": [
            "Nous conseillons de prendre votre pointure habituelle.",
            "Comptez deux ou trois sorties de rodage avant une compétition.",
            "Entretien : lavage à la main à l'eau tiède, séchage à l'air libre, loin d'un radiateur.",
            "Livrée avec une paire de lacets de rechange.",
        ],
        "types": [
            {
                "name": "Chaussure de running{g} {model}", "code": "ROU", "w": 3,
                "noun": "une chaussure de running", "scheme": "shoe",
                "usage": "amortit chaque foulée sur route comme sur piste",
                "features": [
                    "Sa mousse d'amorti reste **dynamique** même après plusieurs centaines de kilomètres.",
                    "La tige en mesh respirant enveloppe le pied sans point de pression.",
                    "Son chaussant généreux laisse de la place aux orteils en fin de sortie, quand le pied gonfle.",
                    "Légère et stable, elle convient aussi bien aux footings courts qu'aux sorties longues.",
                ],
                "bullets": [
                    "Mousse d'amorti **haute résilience** sur toute la longueur",
                    "Tige en mesh recyclé et respirant",
                    "Drop de 8 mm, idéal pour l'endurance",
                    "Semelle en caoutchouc renforcée aux zones d'usure",
                    "Languette rembourrée et contrefort stable",
                    "Éléments réfléchissants pour courir à la tombée de la nuit",
                ],
                "price": (6999, 14999), "weight": (240, 320),
                "genres": ["homme", "homme", "femme", "femme", "mixte", "enfant"],
                "niveaux": NIVEAUX, "colors": BRIGHT,
            },
            {
                "name": "Chaussure de trail{g} {model}", "code": "TRL", "w": 3,
                "noun": "une chaussure de trail", "scheme": "shoe",
                "usage": "accroche les sentiers côtiers, les rochers humides et les chemins boueux",
                "features": [
                    "Ses crampons multidirectionnels mordent dans la boue sans retenir la terre.",
                    "Un pare-pierres renforcé protège l'avant du pied dans les passages rocheux.",
                    "La membrane **étanche** garde le pied au sec lors des traversées de landes détrempées.",
                    "La gomme tendre de la semelle adhère sur le granit mouillé.",
                ],
                "bullets": [
                    "Crampons de 5 mm multidirectionnels",
                    "Pare-pierres renforcé à l'avant",
                    "Membrane **étanche** et respirante",
                    "Laçage rapide avec range-lacet",
                    "Plaque de protection anti-roches",
                    "Drop de 6 mm",
                ],
                "price": (8999, 17999), "weight": (280, 380),
                "genres": ["homme", "homme", "femme", "mixte"],
                "niveaux": NIVEAUX, "colors": BRIGHT + ["kaki", "anthracite"],
            },
            {
                "name": "Chaussure de compétition{g} {model}", "code": "CMP", "w": 1,
                "noun": "une chaussure de compétition", "scheme": "shoe",
                "usage": "vise les records personnels sur 10 km, semi-marathon et marathon",
                "features": [
                    "Une plaque en carbone et une mousse à fort retour d'énergie propulsent chaque foulée.",
                    "Sa tige fine et légère ne pèse presque rien, même détrempée.",
                    "Le talon évasé stabilise l'appui quand la fatigue arrive.",
                ],
                "bullets": [
                    "Plaque de propulsion en **carbone**",
                    "Mousse ultra-légère à fort retour d'énergie",
                    "Tige monocouche respirante",
                    "Drop de 8 mm",
                    "Semelle ajourée pour gagner du poids",
                ],
                "price": (12999, 17999), "weight": (190, 250),
                "genres": ["homme", "femme", "mixte"],
                "niveaux": ["intermediaire", "confirme"], "colors": BRIGHT,
            },
        ],
    },
    {
        "slug": "textile-running", "prefix": "RUN", "count": 20,
        "brands": ["Kerlann", "Iroise", "Glaz Sport", "Breizh Fit", "Armor Outdoor"],
        "public": "les coureurs de tous niveaux",
        "suffixes": ["", "", " 2", " Light", " Thermo", " Confort"],
        "closings": [
            "Lavage en machine à 30 °C, sans adoucissant.",
            "Coupe ajustée : prenez votre taille habituelle.",
            "Tissus à base de polyester recyclé.",
            "Coupe près du corps : en cas de doute, prenez la taille au-dessus.",
        ],
        "types": [
            {
                "name": "T-shirt de running{g} {model}", "code": "TSH", "suffixes": ["", "", " 2", " Light"], "w": 2,
                "noun": "un t-shirt technique", "scheme": "apparel",
                "usage": "évacue la transpiration dès les premiers kilomètres",
                "features": [
                    "Son tissu maille sèche en quelques minutes et limite les odeurs.",
                    "Les coutures plates évitent les frottements sur les longues distances.",
                    "Des bandes réfléchissantes vous rendent visible à la tombée de la nuit.",
                ],
                "bullets": ["Tissu respirant à séchage rapide", "Coutures plates anti-frottements",
                            "Traitement anti-odeurs", "Détails réfléchissants", "Manches raglan"],
                "price": (1999, 4499), "weight": (110, 160),
                "genres": ["homme", "femme", "femme", "enfant"], "niveaux": NIVEAUX, "colors": BRIGHT,
            },
            {
                "name": "Veste coupe-vent{g} {model}", "code": "VCV", "suffixes": ["", " 2", " Light"],
                "noun": "une veste coupe-vent", "scheme": "apparel",
                "usage": "protège du vent et des averses passagères sur le littoral",
                "features": [
                    "Elle se replie dans sa poche poitrine et se glisse dans une ceinture de course.",
                    "Des aérations dans le dos évitent l'effet sauna dans les montées.",
                ],
                "bullets": ["Tissu déperlant", "Se range dans sa propre poche",
                            "Capuche ajustable", "Aérations dorsales", "Poids plume"],
                "price": (4999, 9999), "weight": (140, 220),
                "genres": ["homme", "femme"], "niveaux": NIVEAUX, "colors": BRIGHT + SOBER,
            },
            {
                "name": "Veste imperméable de running{g} {model}", "code": "VIM",
                "noun": "une veste imperméable", "scheme": "apparel",
                "usage": "reste **étanche** sous la pluie bretonne grâce à ses coutures étanchées",
                "features": [
                    "Sa membrane 3 couches respire suffisamment pour les séances intensives.",
                    "La capuche suit les mouvements de la tête sans gêner la vision.",
                ],
                "bullets": ["Membrane 3 couches **étanche** et respirante", "Coutures étanchées",
                            "Capuche ajustable", "Poche dorsale zippée"],
                "price": (8999, 15999), "weight": (200, 300),
                "genres": ["homme", "femme"], "niveaux": ["intermediaire", "confirme"], "colors": SOBER,
            },
            {
                "name": "Collant de running{g} {model}", "code": "COL",
                "noun": "un collant de running", "scheme": "apparel",
                "usage": "garde les jambes au chaud lors des sorties d'hiver",
                "features": [
                    "Sa face intérieure grattée conserve la chaleur sans tenir trop chaud.",
                    "Une poche zippée au dos accueille clés et gels énergétiques.",
                ],
                "bullets": ["Tissu thermique gratté", "Poche arrière zippée",
                            "Ceinture élastique large", "Chevilles zippées"],
                "price": (3999, 6999), "weight": (150, 220),
                "genres": ["homme", "femme", "femme"], "niveaux": NIVEAUX, "colors": SOBER,
            },
            {
                "name": "Short de running{g} {model}", "code": "SHO", "suffixes": ["", " 2", " Light"],
                "noun": "un short de running", "scheme": "apparel",
                "usage": "laisse une totale liberté de mouvement à chaque foulée",
                "features": [
                    "Son slip intégré en maille douce évite les frottements.",
                    "Le tissu léger sèche en un clin d'œil après une averse.",
                ],
                "bullets": ["Slip intégré", "Fentes latérales", "Poche à clés", "Cordon de serrage"],
                "price": (2499, 4499), "weight": (90, 140),
                "genres": ["homme", "femme", "mixte"], "niveaux": NIVEAUX, "colors": BRIGHT + SOBER,
            },
            {
                "name": "Brassière de sport {model}", "code": "BRA", "suffixes": ["", " 2", " Confort"],
                "noun": "une brassière de sport", "scheme": "apparel",
                "usage": "assure un maintien fort pendant les séances intensives",
                "features": [
                    "Ses bretelles croisées répartissent les tensions dans le dos.",
                    "Le tissu respirant sèche vite et reste doux sur la peau.",
                ],
                "bullets": ["Maintien fort", "Bretelles croisées", "Coques amovibles", "Séchage rapide"],
                "price": (2999, 4999), "weight": (70, 110),
                "genres": ["femme"], "niveaux": NIVEAUX, "colors": BRIGHT + SOBER,
            },
            {
                "name": "Chaussettes de running {model}", "code": "CHA", "suffixes": ["", " 2", " Confort", " Thermo"],
                "noun": "une paire de chaussettes techniques", "scheme": "list",
                "option": "taille", "values": ["35-38", "39-42", "43-46"], "k": (2, 3),
                "usage": "protège le pied des ampoules sur les longues distances",
                "features": [
                    "Des zones renforcées au talon et aux orteils prolongent leur durée de vie.",
                    "La maille ajourée sur le dessus du pied évacue la chaleur.",
                ],
                "bullets": ["Talon et pointe renforcés", "Maintien de la voûte plantaire",
                            "Fibres anti-odeurs", "Coutures plates"],
                "price": (999, 1999), "weight": (40, 60), "weight_step": 5,
                "genres": ["mixte"],
            },
        ],
    },
    {
        "slug": "montres-gps", "prefix": "RUN", "count": 8,
        "brands": ["Iroise", "Glaz Sport", "Kerlann"],
        "public": "les sportifs qui aiment les chiffres",
        "suffixes": [" 2", " 3", " 5", " Pro", " Solar", ""],
        "closings": [
            "Compatible avec les applications d'entraînement les plus répandues.",
            "Livrée avec son câble de charge USB-C.",
            "Étanche jusqu'à 50 mètres.",
        ],
        "types": [
            {
                "name": "Montre GPS {model}", "code": "MGP", "w": 2,
                "noun": "une montre GPS multisport", "scheme": "colors", "colors": ["noir", "blanc", "ardoise", "bleu marine", "corail"],
                "usage": "mesure allure, distance et fréquence cardiaque sur tous vos entraînements",
                "features": [
                    "Son autonomie atteint **20 heures** en mode GPS.",
                    "Le capteur optique au poignet suit votre fréquence cardiaque jour et nuit.",
                    "Les programmes d'entraînement se synchronisent automatiquement depuis votre téléphone.",
                ],
                "bullets": ["GPS multi-constellations", "Cardio au poignet", "Notifications du téléphone",
                            "Écran lisible en plein soleil", "Boîtier de 45 mm"],
                "price": (14999, 34999), "weight": (45, 65),
                "genres": ["mixte", "mixte", "femme"], "niveaux": NIVEAUX,
            },
            {
                "name": "Montre GPS outdoor {model}", "code": "MOU",
                "noun": "une montre GPS outdoor", "scheme": "colors", "colors": ["noir", "kaki", "ardoise"],
                "usage": "guide vos sorties en montagne grâce à la cartographie et à l'altimètre barométrique",
                "features": [
                    "La recharge solaire prolonge son autonomie jusqu'à trois semaines.",
                    "Son verre saphir résiste aux chocs et aux rayures.",
                ],
                "bullets": ["Cartographie embarquée", "Altimètre barométrique et boussole",
                            "Recharge solaire", "Verre saphir"],
                "price": (29999, 59999), "weight": (60, 85),
                "genres": ["mixte"], "niveaux": ["intermediaire", "confirme"],
            },
            {
                "name": "Ceinture cardiofréquencemètre {model}", "code": "CEI",
                "noun": "une ceinture cardio", "scheme": "single",
                "usage": "transmet votre fréquence cardiaque en temps réel à votre montre ou à votre téléphone",
                "features": [
                    "Sa mesure électrique reste précise pendant les fractionnés.",
                    "La sangle textile se lave en machine, le capteur se détache en un clic.",
                ],
                "bullets": ["Bluetooth et ANT+", "Pile bouton remplaçable", "Sangle lavable"],
                "price": (4999, 8999), "weight": (40, 60),
                "genres": ["mixte"],
            },
        ],
    },
    # -------------------------------------------------------------------- vélo
    {
        "slug": "velos-route", "prefix": "VEL", "count": 18, "price_style": "bike",
        "brands": ["Ty Velo", "Iroise", "Glaz Sport"],
        "public": "les cyclistes qui avalent les kilomètres",
        "suffixes": [" 300", " 500", " 700", " 900", " SL", " Endurance", " Sport"],
        "closings": [
            "Livré monté à 90 %, avec pédales plates et notice de réglage.",
            "Garantie à vie sur le cadre.",
            "Un réglage de posture est offert en magasin pour tout achat.",
        ],
        "types": [
            {
                "name": "Vélo de route{g} {model}", "code": "VRO", "w": 2,
                "noun": "un vélo de route en aluminium", "scheme": "bike",
                "usage": "allie rigidité et confort pour les sorties du dimanche comme pour les cyclosportives",
                "features": [
                    "Son cadre en aluminium hydroformé est associé à une fourche carbone qui filtre les vibrations.",
                    "Les freins à disque hydrauliques garantissent un freinage sûr, même sous la pluie.",
                    "Sa géométrie endurance ménage le dos sur les longues sorties.",
                ],
                "bullets": ["Cadre aluminium, fourche carbone", "Transmission 2 × 11 vitesses",
                            "Freins à disque hydrauliques", "Pneus de 28 mm", "Passage de garde-boue"],
                "price": (49900, 149900), "weight": (9000, 10500), "weight_step": 150,
                "genres": ["mixte", "mixte", "mixte", "femme"], "niveaux": ["debutant", "intermediaire"],
            },
            {
                "name": "Vélo de route carbone {model}", "code": "VRC",
                "noun": "un vélo de route en carbone", "scheme": "bike",
                "usage": "file sur les routes vallonnées de l'Argoat avec une réactivité remarquable",
                "features": [
                    "Le cadre monocoque en carbone pèse moins de 900 grammes.",
                    "Ses roues à profil de 45 mm conservent la vitesse sur le plat.",
                    "La transmission électronique passe les vitesses au quart de tour.",
                ],
                "bullets": ["Cadre et fourche **carbone**", "Transmission électronique 2 × 12 vitesses",
                            "Roues carbone de 45 mm", "Cintre intégré", "Pneus tubeless de 28 mm"],
                "price": (179900, 349900), "weight": (7000, 8400), "weight_step": 120,
                "genres": ["mixte"], "niveaux": ["intermediaire", "confirme", "confirme"],
            },
            {
                "name": "Vélo gravel {model}", "code": "GRV",
                "noun": "un vélo gravel", "scheme": "bike",
                "usage": "passe sans effort de l'asphalte aux chemins de halage",
                "features": [
                    "Ses pneus de 40 mm offrent de l'accroche sur les chemins sans freiner sur la route.",
                    "De nombreux inserts permettent de fixer sacoches et porte-bidons pour le voyage.",
                ],
                "bullets": ["Pneus de 40 mm", "Mono-plateau 1 × 11 vitesses",
                            "Inserts pour sacoches et garde-boue", "Freins à disque hydrauliques"],
                "price": (99900, 249900), "weight": (8800, 10500), "weight_step": 150,
                "genres": ["mixte"], "niveaux": NIVEAUX,
            },
        ],
    },
    {
        "slug": "vtt", "prefix": "VEL", "count": 14, "price_style": "bike",
        "brands": ["Ty Velo", "Armor Outdoor", "Iroise"],
        "public": "les amateurs de sentiers",
        "suffixes": [" 300", " 500", " 700", " 900", " Trail", " Enduro"],
        "closings": [
            "Livré monté à 90 %, avec pédales plates.",
            "Garantie de cinq ans sur le cadre.",
            "Pensez à régler la pression des suspensions selon votre poids avant la première sortie.",
        ],
        "types": [
            {
                "name": "VTT semi-rigide {model}", "code": "VTS", "w": 2,
                "noun": "un VTT semi-rigide", "scheme": "bike", "sizes": ["S", "M", "L", "XL"],
                "usage": "avale les sentiers des monts d'Arrée sans broncher",
                "features": [
                    "Sa fourche suspendue de 120 mm absorbe racines et cailloux.",
                    "Les roues de 29 pouces franchissent les obstacles avec aisance.",
                    "Le cadre en aluminium reste léger et facile à emmener dans les montées.",
                ],
                "bullets": ["Roues de 29 pouces", "Fourche de 120 mm avec blocage",
                            "Transmission 1 × 12 vitesses", "Freins à disque hydrauliques"],
                "price": (49900, 149900), "weight": (12500, 14500), "weight_step": 200,
                "genres": ["mixte"], "niveaux": NIVEAUX,
            },
            {
                "name": "VTT tout-suspendu {model}", "code": "VTF",
                "noun": "un VTT tout-suspendu", "scheme": "bike", "sizes": ["S", "M", "L", "XL"],
                "usage": "garde le contrôle dans les descentes les plus cassantes",
                "features": [
                    "Ses 140 mm de débattement à l'avant comme à l'arrière pardonnent les erreurs de trajectoire.",
                    "La tige de selle télescopique s'abaisse d'une pression du pouce.",
                ],
                "bullets": ["Débattement de 140 mm", "Tige de selle télescopique",
                            "Pneus tubeless de 2,4 pouces", "Freins à disque 4 pistons"],
                "price": (149900, 299900), "weight": (13500, 15900), "weight_step": 200,
                "genres": ["mixte"], "niveaux": ["intermediaire", "confirme"],
            },
            {
                "name": "VTT enfant 24 pouces {model}", "code": "VTE", "suffixes": ["", " 2", " Junior"],
                "noun": "un VTT pour enfant", "scheme": "colors", "colors": BRIGHT,
                "usage": "fait découvrir les joies du tout-terrain aux jeunes pilotes de 8 à 12 ans",
                "features": [
                    "Ses leviers de frein à course réduite s'adaptent aux petites mains.",
                    "Le cadre bas facilite les arrêts et les redémarrages.",
                ],
                "bullets": ["Roues de 24 pouces", "Fourche suspendue", "9 vitesses", "Leviers réglables"],
                "price": (29900, 49900), "weight": (10500, 12000),
                "genres": ["enfant"], "niveaux": ["debutant"],
            },
        ],
    },
    {
        "slug": "velos-ville", "prefix": "VEL", "count": 12, "price_style": "bike",
        "brands": ["Ty Velo", "Iroise"],
        "public": "les citadins pressés",
        "suffixes": ["", " 300", " 500", " Confort", " Urbain"],
        "closings": [
            "Livré avec garde-boue, béquille et éclairages.",
            "Garantie de deux ans, pièces et main-d'œuvre.",
            "Un premier contrôle gratuit est offert après un mois d'utilisation.",
        ],
        "types": [
            {
                "name": "Vélo de ville{g} {model}", "code": "VVI", "w": 2,
                "noun": "un vélo de ville", "scheme": "bike_colors", "colors": ["noir", "blanc", "vert sapin", "bleu marine", "sable", "bordeaux"],
                "usage": "rend chaque trajet quotidien simple et agréable",
                "features": [
                    "Le moyeu à vitesses intégrées demande très peu d'entretien.",
                    "Son cadre ouvert permet de l'enfourcher facilement, même en jupe.",
                    "Le porte-bagages accueille un panier ou des sacoches.",
                ],
                "bullets": ["Moyeu 7 vitesses intégrées", "Éclairage par dynamo", "Porte-bagages",
                            "Garde-boue et carter de chaîne"],
                "price": (34900, 79900), "weight": (13000, 16000), "weight_step": 200,
                "genres": ["mixte", "femme", "homme"], "niveaux": ["debutant"],
            },
            {
                "name": "Vélo à assistance électrique {model}", "code": "VAE",
                "noun": "un vélo à assistance électrique", "scheme": "bike",
                "usage": "efface les côtes et le vent de face sur les trajets domicile-travail",
                "features": [
                    "Sa batterie de 500 Wh offre jusqu'à 100 km d'autonomie.",
                    "Le moteur central délivre une assistance douce et naturelle.",
                ],
                "bullets": ["Moteur central 250 W", "Batterie amovible de 500 Wh",
                            "Autonomie jusqu'à 100 km", "Écran avec port USB"],
                "price": (149900, 299900), "weight": (21000, 25500), "weight_step": 200,
                "genres": ["mixte"],
            },
            {
                "name": "Vélo pliant {model}", "code": "VPL",
                "noun": "un vélo pliant", "scheme": "colors", "colors": ["noir", "rouge", "blanc", "vert sapin"],
                "usage": "se replie en quelques secondes pour monter dans le train",
                "features": [
                    "Une fois plié, il se glisse sous un bureau ou dans le coffre d'une citadine.",
                    "Ses roues de 20 pouces restent vives et maniables en ville.",
                ],
                "bullets": ["Pliage en 15 secondes", "Roues de 20 pouces", "6 vitesses", "Taille unique réglable"],
                "price": (39900, 99900), "weight": (10500, 13000),
                "genres": ["mixte"],
            },
        ],
    },
    {
        "slug": "accessoires-velo", "prefix": "VEL", "count": 20,
        "brands": ["Ty Velo", "Iroise", "Armor Outdoor", "Glaz Sport"],
        "public": "les cyclistes du quotidien",
        "suffixes": ["", "", " 2", " Pro", " Urbain"],
        "closings": [
            "Garantie de deux ans.",
            "Notice de montage fournie.",
            "Compatible avec la plupart des vélos du marché.",
        ],
        "types": [
            {
                "name": "Casque de vélo{g} {model}", "code": "CAS", "w": 2,
                "noun": "un casque de vélo", "scheme": "sizes_colors", "sizes": ["S", "M", "L"], "colors": BRIGHT + SOBER,
                "usage": "protège votre tête sur la route comme sur les chemins",
                "features": [
                    "Sa molette de réglage ajuste le tour de tête en un geste.",
                    "Les aérations larges gardent la tête au frais dans les montées.",
                ],
                "bullets": ["Coque moulée en polycarbonate", "Molette de réglage", "Mousses lavables",
                            "Visière amovible"],
                "price": (3999, 14999), "weight": (230, 330), "weight_step": 15,
                "genres": ["mixte", "mixte", "enfant"], "niveaux": NIVEAUX,
            },
            {
                "name": "Bidon isotherme {model}", "code": "BID",
                "noun": "un bidon isotherme", "scheme": "list", "option": "volume",
                "values": ["500 ml", "650 ml", "750 ml"], "k": (2, 3), "price_step": 200,
                "usage": "garde votre boisson fraîche pendant plus de deux heures",
                "features": [
                    "Sa double paroi limite le réchauffement, même en plein soleil.",
                    "La valve s'ouvre d'une pression des dents et ne fuit pas.",
                ],
                "bullets": ["Double paroi isolante", "Sans bisphénol A", "Valve anti-fuites",
                            "Passe au lave-vaisselle"],
                "price": (1299, 2499), "weight": (80, 130), "weight_step": 15,
                "genres": ["mixte"],
            },
            {
                "name": "Éclairage avant rechargeable {model}", "code": "ECL",
                "noun": "un éclairage avant rechargeable", "scheme": "single",
                "usage": "vous rend visible de loin et éclaire la route jusqu'à 80 mètres",
                "features": [
                    "Il se recharge en deux heures sur n'importe quel port USB.",
                    "Son faisceau coupé n'éblouit pas les usagers qui arrivent en face.",
                ],
                "bullets": ["Batterie rechargeable en USB-C", "Jusqu'à 10 heures d'autonomie",
                            "Fixation sans outil", "Boîtier **étanche**"],
                "price": (2499, 6999), "weight": (90, 160),
                "genres": ["mixte"],
            },
            {
                "name": "Sacoche de porte-bagages étanche {model}", "code": "SAC",
                "noun": "une sacoche étanche", "scheme": "list", "option": "volume",
                "values": ["15 L", "20 L", "25 L"], "k": (1, 2), "price_step": 500,
                "usage": "protège vos affaires de la pluie lors des trajets et des voyages à vélo",
                "features": [
                    "Sa fermeture à enroulement la rend totalement **étanche**.",
                    "Le système d'accroche se clipse et se retire d'une main.",
                ],
                "bullets": ["Tissu enduit soudé", "Fermeture à enroulement", "Bandes réfléchissantes",
                            "Bandoulière amovible"],
                "price": (4999, 9999), "weight": (700, 1100), "weight_step": 80,
                "genres": ["mixte"],
            },
            {
                "name": "Antivol en U {model}", "code": "ANT",
                "noun": "un antivol en U renforcé", "scheme": "single",
                "usage": "décourage les voleurs grâce à son arceau en acier cémenté",
                "features": [
                    "Il est livré avec trois clés et un support de cadre.",
                    "Son cylindre résiste au crochetage et au perçage.",
                ],
                "bullets": ["Arceau en acier cémenté de 14 mm", "Trois clés fournies", "Support de cadre inclus"],
                "price": (2999, 7999), "weight": (900, 1500),
                "genres": ["mixte"],
            },
            {
                "name": "Pompe à pied {model}", "code": "POM",
                "noun": "une pompe à pied avec manomètre", "scheme": "single",
                "usage": "gonfle rapidement les pneus de route et de VTT jusqu'à 11 bars",
                "features": [
                    "Sa tête double s'adapte aux valves Presta et Schrader sans adaptateur.",
                    "Le manomètre grand format se lit sans se pencher.",
                ],
                "bullets": ["Tête double Presta et Schrader", "Manomètre grand format", "Corps en aluminium"],
                "price": (2499, 4999), "weight": (1100, 1600),
                "genres": ["mixte"],
            },
            {
                "name": "Gants de vélo{g} {model}", "code": "GAN",
                "noun": "une paire de gants de vélo", "scheme": "apparel",
                "usage": "protège les mains du froid et des chocs",
                "features": [
                    "Des inserts en gel amortissent les vibrations du guidon.",
                    "Le bout des doigts reste compatible avec les écrans tactiles.",
                ],
                "bullets": ["Inserts en gel", "Compatibles écrans tactiles", "Paume renforcée"],
                "price": (1999, 4499), "weight": (60, 110),
                "genres": ["mixte", "femme", "homme"], "colors": SOBER,
            },
        ],
    },
    # --------------------------------------------------------------- randonnée
    {
        "slug": "chaussures-randonnee", "prefix": "RAN", "count": 12,
        "brands": ["Armor Outdoor", "Penn Ar Bed", "Kerlann"],
        "public": "les marcheurs au long cours",
        "suffixes": ["", "", " Mid", " Trek", " 2", " Confort"],
        "closings": [
            "Portez vos nouvelles chaussures quelques heures avant de partir pour plusieurs jours.",
            "Entretien : brossage à sec, puis cire ou imperméabilisant adapté.",
            "Prenez une demi-pointure au-dessus si vous marchez avec des chaussettes épaisses.",
        ],
        "types": [
            {
                "name": "Chaussure de randonnée{g} {model}", "code": "CHR", "w": 2,
                "noun": "une chaussure de randonnée", "scheme": "shoe",
                "usage": "accompagne les longues journées de marche sur les sentiers côtiers",
                "features": [
                    "Sa tige montante maintient la cheville dans les descentes caillouteuses.",
                    "La semelle crantée accroche sur le granit comme dans la boue.",
                    "Le contrefort renforcé stabilise le talon sous le poids du sac.",
                ],
                "bullets": ["Tige montante en cuir et textile", "Semelle crantée", "Pare-pierres en caoutchouc",
                            "Première de propreté amovible"],
                "price": (7999, 15999), "weight": (450, 700), "weight_step": 12,
                "genres": ["homme", "femme", "enfant"], "niveaux": NIVEAUX, "colors": SOBER,
            },
            {
                "name": "Chaussure de randonnée étanche{g} {model}", "code": "CHE",
                "noun": "une chaussure de randonnée étanche", "scheme": "shoe",
                "usage": "reste **étanche** dans les landes détrempées et les passages à gué",
                "features": [
                    "Sa membrane imperméable et respirante garde le pied au sec toute la journée.",
                    "Le cuir nubuck traité résiste aux frottements des ajoncs et des rochers.",
                ],
                "bullets": ["Membrane **étanche** et respirante", "Cuir nubuck hydrofuge",
                            "Semelle à crampons de 5 mm", "Laçage jusqu'aux orteils"],
                "price": (11999, 19999), "weight": (550, 850), "weight_step": 12,
                "genres": ["homme", "femme"], "niveaux": ["intermediaire", "confirme"], "colors": SOBER,
            },
            {
                "name": "Chaussure de randonnée légère{g} {model}", "code": "CHL", "suffixes": ["", " 2", " Light", " Confort"],
                "noun": "une chaussure de randonnée légère", "scheme": "shoe",
                "usage": "convient aux balades à la journée grâce à sa légèreté",
                "features": [
                    "Souple dès le premier jour, elle ne demande aucun rodage.",
                    "Sa tige basse en mesh respire bien par temps chaud.",
                ],
                "bullets": ["Tige basse en mesh", "Semelle amortissante", "Moins de 400 g la chaussure"],
                "price": (5999, 9999), "weight": (350, 500), "weight_step": 10,
                "genres": ["homme", "femme", "mixte"], "niveaux": ["debutant"], "colors": SOBER + BRIGHT,
            },
            {
                "name": "Sandale de randonnée{g} {model}", "code": "SAN", "suffixes": ["", " 2"],
                "noun": "une sandale de randonnée", "scheme": "shoe",
                "usage": "garde les pieds au frais lors des randonnées estivales et des passages à gué",
                "features": [
                    "Ses trois sangles réglables maintiennent le pied sans frotter.",
                    "Elle sèche en quelques minutes après une traversée de rivière.",
                ],
                "bullets": ["Trois sangles réglables", "Semelle antidérapante", "Séchage rapide"],
                "price": (4999, 8999), "weight": (250, 400), "weight_step": 10,
                "genres": ["homme", "femme", "enfant"], "colors": SOBER,
            },
        ],
    },
    {
        "slug": "sacs-a-dos", "prefix": "RAN", "count": 10,
        "brands": ["Armor Outdoor", "Penn Ar Bed", "Mor Braz"],
        "public": "les randonneurs",
        "suffixes": ["", "", " Light", " Trek", " 2"],
        "closings": [
            "Housse de pluie intégrée dans le fond du sac.",
            "Garantie de cinq ans sur les coutures et les boucles.",
            "Compatible avec une poche à eau de 2 litres.",
        ],
        "types": [
            {
                "name": "Sac à dos de randonnée{g} {model}", "code": "SAD", "w": 2,
                "noun": "un sac à dos de randonnée", "scheme": "list", "option": "volume",
                "values": ["20 L", "28 L", "32 L", "40 L"], "k": (1, 2), "price_step": 1000,
                "usage": "porte confortablement le nécessaire d'une journée de marche",
                "features": [
                    "Son dos ventilé limite la transpiration dans les montées.",
                    "La ceinture rembourrée reporte le poids sur les hanches.",
                    "Des poches latérales accueillent bouteilles et bâtons de marche.",
                ],
                "bullets": ["Dos ventilé", "Housse de pluie intégrée", "Poches latérales filet",
                            "Porte-bâtons", "Ceinture rembourrée"],
                "price": (4999, 12999), "weight": (700, 1400), "weight_step": 90,
                "genres": ["mixte", "femme", "homme"], "niveaux": NIVEAUX,
            },
            {
                "name": "Sac à dos de trek {model}", "code": "TRK",
                "noun": "un sac à dos de trek", "scheme": "list", "option": "volume",
                "values": ["45 L", "55 L", "65 L"], "k": (1, 2), "price_step": 1500,
                "usage": "répartit la charge des randonnées itinérantes de plusieurs jours",
                "features": [
                    "Son dos réglable s'adapte à la longueur de votre buste.",
                    "L'ouverture frontale donne accès au fond du sac sans tout déballer.",
                ],
                "bullets": ["Dos réglable", "Ouverture frontale", "Rabat amovible transformable en sacoche",
                            "Housse de pluie"],
                "price": (12999, 24999), "weight": (1500, 2200), "weight_step": 150,
                "genres": ["mixte", "femme"], "niveaux": ["intermediaire", "confirme"],
            },
            {
                "name": "Sac d'hydratation {model}", "code": "HYD",
                "noun": "un sac d'hydratation", "scheme": "list", "option": "volume",
                "values": ["5 L", "10 L", "12 L"], "k": (1, 2), "price_step": 500,
                "usage": "s'utilise aussi bien en trail qu'en randonnée rapide",
                "features": [
                    "Il épouse le buste comme un gilet et ne ballotte pas.",
                    "Deux flasques souples se logent à l'avant, à portée de main.",
                ],
                "bullets": ["Deux flasques de 500 ml incluses", "Coupe gilet", "Sifflet de sécurité"],
                "price": (4999, 9999), "weight": (250, 450), "weight_step": 30,
                "genres": ["mixte"], "niveaux": ["intermediaire", "confirme"],
            },
            {
                "name": "Sac à dos enfant {model}", "code": "SAE", "suffixes": ["", " Junior"],
                "noun": "un sac à dos pour enfant", "scheme": "colors", "colors": BRIGHT,
                "usage": "accompagne les premières randonnées en famille",
                "features": [
                    "Ses bretelles ajustables grandissent avec l'enfant.",
                    "Un sifflet est intégré à la sangle de poitrine.",
                ],
                "bullets": ["Volume de 12 L", "Bretelles réglables", "Sifflet intégré"],
                "price": (1999, 3999), "weight": (300, 450),
                "genres": ["enfant"],
            },
        ],
    },
    {
        "slug": "tentes", "prefix": "RAN", "count": 8,
        "brands": ["Armor Outdoor", "Penn Ar Bed"],
        "public": "les adeptes du bivouac",
        "suffixes": ["", " 2"],
        "closings": [
            "Livrée avec sardines, cordelettes et sac de rangement.",
            "Pensez à la faire sécher avant de la ranger pour un long stockage.",
            "Garantie de trois ans.",
        ],
        "types": [
            {
                "name": "Tente de randonnée 2 places {model}", "code": "TE2", "suffixes": ["", " 2", " XL"], "w": 2,
                "noun": "une tente de randonnée légère", "scheme": "colors", "colors": ["vert sapin", "sable", "orange"],
                "usage": "se monte en moins de cinq minutes, même face au vent d'ouest",
                "features": [
                    "Ses deux absides abritent sacs et chaussures de la pluie.",
                    "Le double toit **étanche** résiste à des colonnes d'eau de 3 000 mm.",
                ],
                "bullets": ["Double toit 3 000 mm", "Deux entrées et deux absides", "Arceaux en aluminium"],
                "price": (14999, 39999), "weight": (1200, 2400),
                "genres": ["mixte"], "niveaux": NIVEAUX,
            },
            {
                "name": "Tente de bivouac 1 place {model}", "code": "TE1", "suffixes": ["", " Ultralight"],
                "noun": "une tente de bivouac ultralégère", "scheme": "single",
                "usage": "se glisse dans le sac pour les nuits à la belle étoile",
                "features": [
                    "Elle se monte avec un seul arceau ou avec vos bâtons de marche.",
                    "Sa toile siliconée sèche très vite au premier rayon de soleil.",
                ],
                "bullets": ["Moins de 1,2 kg", "Toile siliconée", "Moustiquaire intégrée"],
                "price": (19999, 34999), "weight": (900, 1200),
                "genres": ["mixte"], "niveaux": ["confirme"],
            },
            {
                "name": "Tente familiale 4 places {model}", "code": "TE4", "suffixes": ["", " XL", " Confort"],
                "noun": "une tente familiale", "scheme": "single",
                "usage": "abrite toute la famille avec ses deux chambres et son grand séjour",
                "features": [
                    "La hauteur sous plafond permet de se tenir debout dans le séjour.",
                    "Les chambres occultantes prolongent la nuit des plus petits.",
                ],
                "bullets": ["Deux chambres occultantes", "Séjour debout", "Tapis de sol cousu"],
                "price": (29999, 69999), "weight": (8000, 14000),
                "genres": ["mixte"], "niveaux": ["debutant"],
            },
        ],
    },
    # ------------------------------------------------------- sports nautiques
    {
        "slug": "surf", "prefix": "NAU", "count": 9,
        "brands": ["Mor Braz", "Glaz Sport", "Penn Ar Bed"],
        "public": "les surfeurs de la côte atlantique",
        "suffixes": ["", "", " Pro", " 2"],
        "closings": [
            "Rincez votre matériel à l'eau douce après chaque session.",
            "Ne laissez jamais une planche en plein soleil dans une voiture fermée.",
            "Nos vendeurs vous aident à choisir la bonne taille selon votre gabarit et votre niveau.",
        ],
        "types": [
            {
                "name": "Planche de surf en mousse {model}", "code": "SMO", "w": 2,
                "noun": "une planche de surf en mousse", "scheme": "list", "option": "taille",
                "values": ["7'0", "8'0", "9'0"], "k": (2, 3), "weight_step": 600,
                "usage": "facilite l'apprentissage grâce à sa grande portance",
                "features": [
                    "Sa surface souple limite les bleus lors des premières chutes.",
                    "Le volume généreux permet de ramer facilement vers le large.",
                ],
                "bullets": ["Pont en mousse souple", "Dessous glissant", "Trois ailerons souples"],
                "price": (19999, 39999), "weight": (4000, 5500),
                "genres": ["mixte", "enfant"], "niveaux": ["debutant"],
            },
            {
                "name": "Planche de surf shortboard {model}", "code": "SSB",
                "noun": "un shortboard en époxy", "scheme": "list", "option": "taille",
                "values": ["5'10", "6'0", "6'2", "6'4"], "k": (2, 3), "weight_step": 100,
                "usage": "réagit au moindre appui dans les vagues creuses",
                "features": [
                    "Sa construction en époxy la rend légère et résistante aux chocs.",
                    "Son rocker prononcé facilite les prises de vague tardives.",
                ],
                "bullets": ["Construction époxy", "Configuration trois ailerons", "Pad arrière inclus"],
                "price": (39999, 69999), "weight": (2400, 3200),
                "genres": ["mixte"], "niveaux": ["confirme"],
            },
            {
                "name": "Longboard {model}", "code": "LGB",
                "noun": "un longboard", "scheme": "list", "option": "taille",
                "values": ["9'0", "9'2", "9'6"], "k": (1, 2), "weight_step": 200,
                "usage": "glisse longtemps sur les petites vagues d'été",
                "features": [
                    "Sa longueur permet de marcher sur la planche et de tenter les premiers « nose ride ».",
                    "Il se prête aussi bien à l'initiation qu'au surf de style.",
                ],
                "bullets": ["Un aileron central", "Stratification renforcée", "Rails arrondis"],
                "price": (49999, 89999), "weight": (5500, 7500),
                "genres": ["mixte"], "niveaux": ["debutant", "intermediaire"],
            },
            {
                "name": "Leash de surf {model}", "code": "LEA",
                "noun": "un leash de surf", "scheme": "list", "option": "taille",
                "values": ["6'", "7'", "9'"], "k": (2, 3), "weight_step": 15,
                "usage": "garde la planche à portée de main après une chute",
                "features": [
                    "Son émerillon double évite que le cordon ne s'emmêle.",
                    "Le strap de cheville en néoprène ne frotte pas.",
                ],
                "bullets": ["Émerillon double", "Strap en néoprène", "Cordon en uréthane"],
                "price": (1999, 3999), "weight": (100, 180),
                "genres": ["mixte"],
            },
        ],
    },
    {
        "slug": "kayak", "prefix": "NAU", "count": 8,
        "brands": ["Mor Braz", "Armor Outdoor"],
        "public": "les pagayeurs",
        "suffixes": ["", "", " 2", " Explorer", " Rando"],
        "closings": [
            "Rincez à l'eau douce après chaque sortie en mer.",
            "Naviguez toujours avec un gilet d'aide à la flottabilité.",
            "Livré avec sa notice d'entretien.",
        ],
        "types": [
            {
                "name": "Kayak de mer {model}", "code": "KMR", "w": 2,
                "noun": "un kayak de mer", "scheme": "colors", "colors": ["jaune fluo", "rouge", "orange", "blanc"],
                "usage": "file droit et tient bien le cap lors des traversées vers les îles",
                "features": [
                    "Ses deux caissons **étanches** accueillent de quoi bivouaquer plusieurs jours.",
                    "La dérive rétractable aide à garder le cap par vent de travers.",
                ],
                "bullets": ["Deux caissons **étanches**", "Dérive rétractable", "Siège réglable",
                            "Lignes de vie sur le pont"],
                "price": (99900, 249900), "weight": (22000, 28000),
                "genres": ["mixte"], "niveaux": ["intermediaire", "confirme"],
            },
            {
                "name": "Kayak gonflable 2 places {model}", "code": "KGO",
                "noun": "un kayak gonflable", "scheme": "single",
                "usage": "se transporte dans un sac à dos et se gonfle en dix minutes",
                "features": [
                    "Son fond haute pression lui donne une rigidité proche d'un kayak rigide.",
                    "Il se range dans un placard une fois dégonflé.",
                ],
                "bullets": ["Fond haute pression", "Sac de transport", "Pompe et kit de réparation fournis"],
                "price": (39999, 89999), "weight": (12000, 17000),
                "genres": ["mixte"], "niveaux": ["debutant", "intermediaire"],
            },
            {
                "name": "Kayak sit-on-top {model}", "code": "KSO",
                "noun": "un kayak sit-on-top", "scheme": "colors", "colors": ["turquoise", "jaune fluo", "rouge"],
                "usage": "se prête aux balades en famille dans les criques",
                "features": [
                    "Très stable, il pardonne les mouvements brusques des débutants.",
                    "Ses dalots autovideurs évacuent l'eau embarquée.",
                ],
                "bullets": ["Coque en polyéthylène", "Dalots autovideurs", "Deux porte-cannes"],
                "price": (44999, 79999), "weight": (20000, 26000),
                "genres": ["mixte"], "niveaux": ["debutant"],
            },
            {
                "name": "Pagaie de kayak {model}", "code": "PAG",
                "noun": "une pagaie démontable", "scheme": "single",
                "usage": "allie légèreté et rigidité sur les longues distances",
                "features": [
                    "Son manche en carbone se démonte en deux parties.",
                    "L'angle des pales se règle pour s'adapter à votre style.",
                ],
                "bullets": ["Manche en carbone", "Démontable en deux parties", "Angle réglable"],
                "price": (4999, 19999), "weight": (800, 1200),
                "genres": ["mixte"],
            },
            {
                "name": "Gilet d'aide à la flottabilité {model}", "code": "GIL",
                "noun": "un gilet d'aide à la flottabilité", "scheme": "list", "option": "taille",
                "values": ["S", "M", "L", "XL"], "k": (3, 4), "weight_step": 30,
                "usage": "assure votre sécurité sans gêner le geste de pagaie",
                "features": [
                    "Sa découpe large aux épaules laisse les bras libres.",
                    "Une poche frontale accueille sifflet et téléphone dans une pochette étanche.",
                ],
                "bullets": ["Norme 50 N", "Poche frontale", "Bandes réfléchissantes"],
                "price": (4999, 9999), "weight": (500, 800),
                "genres": ["mixte"],
            },
        ],
    },
    {
        "slug": "combinaisons", "prefix": "NAU", "count": 9,
        "brands": ["Mor Braz", "Glaz Sport"],
        "public": "les surfeurs qui ne craignent pas l'eau froide",
        "suffixes": ["", "", " Flex", " Pro", " Thermo"],
        "closings": [
            "Après chaque session, rincez à l'eau douce et faites sécher à l'ombre, à l'envers.",
            "Le néoprène se détend légèrement après quelques sessions : prenez une taille ajustée.",
            "Ne pliez pas le néoprène : suspendez-le sur un cintre large.",
        ],
        "types": [
            {
                "name": "Combinaison de surf 4/3 mm{g} {model}", "code": "CO4", "w": 2,
                "noun": "une combinaison intégrale", "scheme": "apparel",
                "usage": "garde au chaud dans une eau à 12 °C",
                "features": [
                    "Ses coutures collées et cousues ne laissent pas passer l'eau.",
                    "Le zip poitrine facilite l'enfilage et limite les entrées d'eau.",
                ],
                "bullets": ["Néoprène 4/3 mm", "Coutures collées et cousues", "Zip poitrine",
                            "Doublure thermique au torse"],
                "price": (14999, 34999), "weight": (1800, 2600), "weight_step": 80,
                "genres": ["homme", "femme", "enfant"], "niveaux": NIVEAUX, "colors": ["noir"],
            },
            {
                "name": "Combinaison de surf 3/2 mm{g} {model}", "code": "CO3",
                "noun": "une combinaison légère", "scheme": "apparel",
                "usage": "accompagne les sessions de printemps et d'automne",
                "features": [
                    "Son néoprène très souple laisse une grande liberté de mouvement à la rame.",
                    "Les genoux renforcés résistent à l'abrasion.",
                ],
                "bullets": ["Néoprène 3/2 mm", "Zip dorsal", "Genoux renforcés"],
                "price": (11999, 27999), "weight": (1400, 2000), "weight_step": 60,
                "genres": ["homme", "femme"], "niveaux": NIVEAUX, "colors": ["noir"],
            },
            {
                "name": "Shorty 2 mm{g} {model}", "code": "SHY",
                "noun": "un shorty", "scheme": "apparel",
                "usage": "protège du soleil et de la fraîcheur lors des baignades d'été",
                "features": [
                    "Il convient au surf, au paddle comme à la plongée en apnée.",
                    "Son zip dorsal se manipule facilement grâce à une longue cordelette.",
                ],
                "bullets": ["Néoprène 2 mm", "Zip dorsal", "Protection solaire"],
                "price": (5999, 11999), "weight": (600, 900), "weight_step": 30,
                "genres": ["homme", "femme", "enfant"], "colors": ["noir", "bleu marine", "turquoise"],
            },
            {
                "name": "Combinaison intégrale 5/4 mm à cagoule{g} {model}", "code": "CO5",
                "noun": "une combinaison d'hiver", "scheme": "apparel",
                "usage": "garde au chaud pendant les sessions d'hiver en Bretagne nord",
                "features": [
                    "La cagoule intégrée évite les maux de tête dans l'eau à 9 °C.",
                    "Sa doublure polaire sèche rapidement entre deux sessions.",
                ],
                "bullets": ["Néoprène 5/4 mm", "Cagoule intégrée", "Doublure polaire", "Zip poitrine"],
                "price": (24999, 39999), "weight": (2400, 3200), "weight_step": 90,
                "genres": ["homme", "femme"], "niveaux": ["intermediaire", "confirme"], "colors": ["noir"],
            },
        ],
    },
    # ---------------------------------------------------------------- football
    {
        "slug": "ballons", "prefix": "FOO", "count": 8,
        "brands": ["Glaz Sport", "Breizh Fit", "Kerlann"],
        "public": "les clubs amateurs",
        "suffixes": ["", " Pro", " Club", " 2"],
        "closings": [
            "Livré dégonflé.",
            "Pression recommandée : 0,8 bar.",
            "Rangez-le à l'abri du soleil pour préserver son revêtement.",
        ],
        "types": [
            {
                "name": "Ballon de football {model}", "code": "BFO", "w": 2,
                "noun": "un ballon de football", "scheme": "list", "option": "taille",
                "values": ["3", "4", "5"], "k": (1, 3), "weight_step": 60,
                "usage": "convient aux entraînements comme aux matchs du week-end",
                "features": [
                    "Son revêtement résiste aux terrains synthétiques et aux pelouses abrasives.",
                    "La vessie en butyle conserve la pression plusieurs semaines.",
                ],
                "bullets": ["Revêtement cousu machine", "Vessie en butyle", "Taille 3 pour les moins de 8 ans"],
                "price": (1299, 2999), "weight": (300, 330),
                "genres": ["mixte"], "niveaux": ["debutant", "intermediaire"],
            },
            {
                "name": "Ballon de match {model}", "code": "BMA",
                "noun": "un ballon de match", "scheme": "single",
                "usage": "offre une trajectoire stable et un toucher précis",
                "features": [
                    "Ses panneaux thermocollés limitent l'absorption d'eau par temps de pluie.",
                    "Il répond aux exigences des compétitions officielles.",
                ],
                "bullets": ["Panneaux **thermocollés**", "Taille 5", "Faible absorption d'eau"],
                "price": (8999, 14999), "weight": (420, 445),
                "genres": ["mixte"], "niveaux": ["confirme"],
            },
            {
                "name": "Ballon de futsal {model}", "code": "BFU",
                "noun": "un ballon de futsal", "scheme": "single",
                "usage": "rebondit peu pour un jeu au sol précis en salle",
                "features": [
                    "Sa mousse interne amortit le rebond sur parquet.",
                    "Son revêtement souple se contrôle facilement de la semelle.",
                ],
                "bullets": ["Rebond contrôlé", "Taille 4", "Revêtement souple"],
                "price": (2499, 4499), "weight": (400, 440),
                "genres": ["mixte"],
            },
        ],
    },
    {
        "slug": "chaussures-football", "prefix": "FOO", "count": 9,
        "brands": ["Glaz Sport", "Kerlann", "Breizh Fit"],
        "public": "les joueurs de club",
        "suffixes": ["", " Pro", " Club", " Élite", " 2"],
        "closings": [
            "Nettoyez les crampons après chaque match et laissez sécher à l'air libre.",
            "La taille est standard : prenez votre pointure habituelle.",
        ],
        "types": [
            {
                "name": "Chaussure de football moulée{g} {model}", "code": "FMO", "w": 2,
                "noun": "une chaussure à crampons moulés", "scheme": "shoe",
                "usage": "assure une accroche précise sur terrain sec et synthétique",
                "features": [
                    "Sa tige souple offre un toucher de balle précis.",
                    "La semelle rigide transmet toute la puissance de la frappe.",
                ],
                "bullets": ["Crampons moulés coniques", "Tige synthétique souple", "Semelle en TPU"],
                "price": (4999, 17999), "weight": (200, 280), "weight_step": 8,
                "genres": ["homme", "femme", "enfant"], "niveaux": NIVEAUX, "colors": BRIGHT,
            },
            {
                "name": "Chaussure de football vissée{g} {model}", "code": "FVI",
                "noun": "une chaussure à crampons vissés", "scheme": "shoe",
                "usage": "garantit l'adhérence sur les pelouses grasses de l'hiver",
                "features": [
                    "Les crampons en aluminium se remplacent facilement.",
                    "Son cuir de veau s'adapte à la forme du pied en quelques matchs.",
                ],
                "bullets": ["Six crampons vissés en aluminium", "Tige en cuir", "Clé de serrage fournie"],
                "price": (7999, 17999), "weight": (230, 300), "weight_step": 8,
                "genres": ["homme", "mixte"], "niveaux": ["intermediaire", "confirme"], "colors": ["noir", "blanc", "rouge"],
            },
            {
                "name": "Chaussure de futsal{g} {model}", "code": "FUT",
                "noun": "une chaussure de futsal", "scheme": "shoe",
                "usage": "adhère parfaitement aux parquets et aux sols de gymnase",
                "features": [
                    "Sa semelle en gomme ne marque pas le sol.",
                    "Le renfort à l'avant du pied résiste aux frottements.",
                ],
                "bullets": ["Semelle gomme non marquante", "Avant-pied renforcé", "Amorti au talon"],
                "price": (3999, 8999), "weight": (250, 320), "weight_step": 8,
                "genres": ["homme", "enfant", "mixte"], "niveaux": NIVEAUX, "colors": BRIGHT,
            },
        ],
    },
    {
        "slug": "maillots", "prefix": "FOO", "count": 10,
        "brands": ["Glaz Sport", "Breizh Fit", "Kerlann"],
        "public": "les clubs et leurs supporters",
        "suffixes": ["", " Club", " 2", " Pro"],
        "closings": [
            "Lavage en machine à 30 °C, sur l'envers.",
            "Flocage possible en magasin.",
            "Coupe ajustée : prenez la taille au-dessus pour un porter plus ample.",
        ],
        "types": [
            {
                "name": "Maillot de football{g} {model}", "code": "MAI", "w": 3,
                "noun": "un maillot de football", "scheme": "apparel",
                "usage": "évacue la transpiration pendant les matchs les plus disputés",
                "features": [
                    "Son tissu léger sèche vite, même sous une averse.",
                    "Le col en V côtelé garde sa forme après de nombreux lavages.",
                ],
                "bullets": ["Tissu respirant", "Col en V", "Coupe ajustée", "Polyester recyclé"],
                "price": (2499, 5999), "weight": (140, 190), "weight_step": 10,
                "genres": ["homme", "femme", "enfant"], "colors": ["rouge", "blanc", "bleu", "noir", "jaune fluo"],
            },
            {
                "name": "Maillot de gardien{g} {model}", "code": "MGA",
                "noun": "un maillot de gardien", "scheme": "apparel",
                "usage": "protège coudes et avant-bras lors des plongeons",
                "features": [
                    "Des renforts matelassés amortissent les chutes.",
                    "Ses couleurs vives le distinguent des maillots de champ.",
                ],
                "bullets": ["Manches longues", "Coudières intégrées", "Couleurs haute visibilité"],
                "price": (2999, 5499), "weight": (200, 260), "weight_step": 10,
                "genres": ["homme", "enfant"], "niveaux": NIVEAUX, "colors": ["jaune fluo", "orange", "vert sapin"],
            },
            {
                "name": "Maillot d'entraînement{g} {model}", "code": "MEN",
                "noun": "un maillot d'entraînement", "scheme": "apparel",
                "usage": "résiste aux séances répétées et aux lavages fréquents",
                "features": [
                    "Son tissu robuste ne bouloche pas.",
                    "Il existe dans plusieurs couleurs pour former facilement les équipes.",
                ],
                "bullets": ["Tissu anti-boulochage", "Coupe ample", "Séchage rapide"],
                "price": (1499, 2999), "weight": (130, 170), "weight_step": 10,
                "genres": ["homme", "enfant", "mixte"], "colors": BRIGHT,
            },
        ],
    },
    # ----------------------------------------------------------------- fitness
    {
        "slug": "musculation", "prefix": "FIT", "count": 12,
        "brands": ["Breizh Fit", "Glaz Sport"],
        "public": "les sportifs qui s'entraînent à la maison",
        "suffixes": ["", "", " Pro", " Home", " 2"],
        "closings": [
            "Garantie de deux ans.",
            "Guide d'exercices fourni.",
            "Demandez conseil à un coach avant de débuter un programme intensif.",
        ],
        "types": [
            {
                "name": "Kettlebell en fonte {kg} kg {model}", "code": "KET", "suffixes": [""], "w": 2,
                "noun": "un kettlebell en fonte", "scheme": "single",
                "pick": [{"kg": 8, "weight": (8000, 8100), "price": (2999, 3999)},
                         {"kg": 12, "weight": (12000, 12150), "price": (3999, 4999)},
                         {"kg": 16, "weight": (16000, 16200), "price": (4999, 6499)},
                         {"kg": 20, "weight": (20000, 20200), "price": (5999, 7999)},
                         {"kg": 24, "weight": (24000, 24250), "price": (6999, 8999)}],
                "usage": "sert aussi bien au swing qu'aux squats et aux exercices de gainage",
                "features": [
                    "Sa poignée large se tient à deux mains sans gêne.",
                    "La base plate le maintient stable au sol.",
                ],
                "bullets": ["Fonte pleine", "Base plate", "Poignée large"],
                "genres": ["mixte"], "niveaux": NIVEAUX,
            },
            {
                "name": "Haltères réglables 2 × 20 kg {model}", "code": "HAL",
                "noun": "une paire d'haltères réglables", "scheme": "single",
                "usage": "remplace un rack complet d'haltères dans un petit espace",
                "features": [
                    "Les disques se changent en quelques secondes grâce aux bagues de serrage.",
                    "Ils sont livrés dans une mallette de rangement.",
                ],
                "bullets": ["Disques en fonte", "Bagues de serrage rapide", "Mallette de rangement"],
                "price": (9999, 19999), "weight": (41000, 43000),
                "genres": ["mixte"], "niveaux": NIVEAUX,
            },
            {
                "name": "Banc de musculation inclinable {model}", "code": "BAN",
                "noun": "un banc de musculation inclinable", "scheme": "single",
                "usage": "s'adapte au développé couché, incliné ou décliné",
                "features": [
                    "Son dossier se règle sur sept positions.",
                    "Le châssis en acier supporte jusqu'à 250 kg.",
                ],
                "bullets": ["Dossier sept positions", "Charge maximale de 250 kg", "Roulettes de transport"],
                "price": (12999, 29999), "weight": (18000, 26000),
                "genres": ["mixte"], "niveaux": ["intermediaire", "confirme"],
            },
            {
                "name": "Barre de traction murale {model}", "code": "BTR",
                "noun": "une barre de traction murale", "scheme": "single",
                "usage": "se fixe au mur pour travailler le dos et les bras",
                "features": [
                    "Ses poignées multiples permettent les prises larges, serrées et neutres.",
                    "La visserie fournie convient aux murs en béton et en parpaing.",
                ],
                "bullets": ["Prises multiples", "Visserie fournie", "Charge maximale de 150 kg"],
                "price": (2999, 5999), "weight": (2500, 4000),
                "genres": ["mixte"], "niveaux": ["intermediaire", "confirme"],
            },
            {
                "name": "Gants de musculation{g} {model}", "code": "GMU",
                "noun": "une paire de gants de musculation", "scheme": "list", "option": "taille",
                "values": ["S", "M", "L", "XL"], "k": (3, 4), "weight_step": 10,
                "usage": "protège les paumes des callosités",
                "features": [
                    "Le rembourrage de la paume améliore la prise sur les barres.",
                    "Une dragonne soutient le poignet lors des charges lourdes.",
                ],
                "bullets": ["Paume rembourrée", "Dragonne de poignet", "Dos en mesh aéré"],
                "price": (1499, 2999), "weight": (80, 140),
                "genres": ["homme", "femme", "mixte"], "niveaux": NIVEAUX,
            },
            {
                "name": "Lot de 5 bandes élastiques {model}", "code": "BEL",
                "noun": "un lot de bandes élastiques", "scheme": "single",
                "usage": "propose cinq niveaux de résistance pour progresser en douceur",
                "features": [
                    "Les bandes en latex naturel se glissent dans une pochette de transport.",
                    "Elles conviennent au renforcement comme à la rééducation.",
                ],
                "bullets": ["Cinq résistances", "Latex naturel", "Pochette de transport"],
                "price": (1499, 3499), "weight": (300, 450),
                "genres": ["mixte"], "niveaux": ["debutant", "intermediaire"],
            },
        ],
    },
    {
        "slug": "yoga", "prefix": "FIT", "count": 9,
        "brands": ["Breizh Fit", "Mor Braz"],
        "public": "les pratiquants de yoga et de pilates",
        "suffixes": ["", "", " Zen", " Confort"],
        "closings": [
            "Nettoyage à l'eau claire et au savon doux.",
            "Fabrication européenne.",
            "Retours gratuits sous 30 jours.",
        ],
        "types": [
            {
                "name": "Tapis de yoga antidérapant {model}", "code": "TAP", "w": 3,
                "noun": "un tapis de yoga", "scheme": "colors", "colors": ["ardoise", "sable", "turquoise", "corail", "vert sapin", "noir"],
                "usage": "offre une adhérence sûre, même dans les postures les plus dynamiques",
                "features": [
                    "Son épaisseur de 5 mm protège genoux et poignets.",
                    "La surface en caoutchouc naturel ne glisse pas, même avec des mains humides.",
                ],
                "bullets": ["Caoutchouc naturel", "Épaisseur de 5 mm", "Lignes d'alignement gravées"],
                "price": (2999, 8999), "weight": (1500, 2500),
                "genres": ["mixte"], "niveaux": NIVEAUX,
            },
            {
                "name": "Brique de yoga en liège {model}", "code": "BRI",
                "noun": "une brique de yoga en liège", "scheme": "single",
                "usage": "aide à trouver le bon alignement dans les postures",
                "features": [
                    "Le liège naturel est ferme, léger et agréable au toucher.",
                    "Ses arêtes arrondies ne marquent pas la peau.",
                ],
                "bullets": ["Liège naturel", "Arêtes arrondies", "23 × 15 × 7,5 cm"],
                "price": (1299, 1999), "weight": (350, 500),
                "genres": ["mixte"], "niveaux": ["debutant"],
            },
            {
                "name": "Legging de yoga{g} {model}", "code": "LEG",
                "noun": "un legging de yoga", "scheme": "apparel",
                "usage": "accompagne chaque posture sans jamais glisser",
                "features": [
                    "Sa taille haute reste en place dans les flexions.",
                    "Le tissu opaque et doux sèche rapidement.",
                ],
                "bullets": ["Taille haute", "Tissu opaque", "Sans couture à l'entrejambe"],
                "price": (3999, 6999), "weight": (180, 260), "weight_step": 10,
                "genres": ["femme", "femme", "homme"], "niveaux": NIVEAUX, "colors": SOBER,
            },
            {
                "name": "Coussin de méditation {model}", "code": "COU",
                "noun": "un coussin de méditation", "scheme": "colors", "colors": ["ardoise", "sable", "bordeaux", "bleu marine"],
                "usage": "surélève le bassin pour une assise longue et confortable",
                "features": [
                    "Il est garni de balle d'épeautre qui épouse la forme du corps.",
                    "Sa housse en coton se retire et se lave en machine.",
                ],
                "bullets": ["Garnissage en balle d'épeautre", "Housse en coton lavable", "Poignée de transport"],
                "price": (2999, 4999), "weight": (1800, 2600),
                "genres": ["mixte"], "niveaux": ["debutant", "intermediaire"],
            },
        ],
    },
]

# Products written out one by one (books, press, food): name, brand, price,
# weight, tax class and a description of their own.
GUIDES = [  # (title, brand, pages, description sentence)
    ("GR 34 : le sentier des douaniers de Saint-Malo à Brest", "Penn Ar Bed", 384,
     "Ce guide suit pas à pas le célèbre sentier côtier, des remparts de Saint-Malo jusqu'à la rade de Brest, en 45 étapes."),
    ("GR 34 : de la rade de Brest au golfe du Morbihan", "Penn Ar Bed", 352,
     "Ce second volume parcourt la côte sud, des falaises de Crozon aux rives du golfe du Morbihan, en 41 étapes."),
    ("Randonnées dans les monts d'Arrée", "Éditions du Goëlo", 176,
     "Landes, tourbières et crêtes rocheuses : ce guide réunit 30 randonnées au cœur des monts d'Arrée."),
    ("Les plus belles randonnées de la presqu'île de Crozon", "Penn Ar Bed", 160,
     "De la pointe de Pen-Hir au cap de la Chèvre, 25 itinéraires entre falaises, plages et anciennes batteries."),
    ("Brocéliande : 25 randonnées entre légendes et landes", "Éditions du Goëlo", 192,
     "Sur les pas de Merlin et de la fée Viviane, ce guide mêle randonnées balisées et récits de la légende arthurienne."),
    ("Belle-Île, Houat et Hoëdic à pied", "Penn Ar Bed", 144,
     "Ce guide fait le tour des trois îles du Morbihan, avec les horaires de bateau et les meilleurs coins de bivouac autorisés."),
    ("Randonnées en famille dans le Morbihan", "Éditions du Goëlo", 128,
     "Trente balades de moins de 10 km, pensées pour les enfants, avec des haltes pique-nique et des jeux de piste."),
    ("Côte de Granit rose : 30 balades au bord de l'eau", "Penn Ar Bed", 160,
     "De Perros-Guirec à Trébeurden, 30 balades parmi les rochers sculptés de la côte de Granit rose."),
    ("Îles du Ponant : randonnées d'Ouessant à Groix", "Éditions du Goëlo", 224,
     "Ouessant, Molène, Sein, les Glénan et Groix : un guide pour découvrir à pied les îles bretonnes."),
    ("Bivouac en Bretagne : le guide pratique", "Penn Ar Bed", 208,
     "Matériel, réglementation, choix de l'emplacement : tout ce qu'il faut savoir pour bivouaquer en Bretagne en respectant la nature."),
    ("Pays bigouden : 20 randonnées entre terre et mer", "Éditions du Goëlo", 144,
     "De la pointe de la Torche aux ports de Saint-Guénolé et du Guilvinec, 20 itinéraires dans le pays bigouden."),
    ("La baie du Mont Saint-Michel à pied", "Penn Ar Bed", 136,
     "Traversées guidées de la baie, sentiers des polders et chemins des pèlerins : 18 randonnées autour du Mont Saint-Michel."),
]

MAGAZINES = [  # (issue, theme, description sentence)
    (55, "spécial gainage", "Au sommaire : un programme de gainage en quatre semaines, sans matériel."),
    (56, "courir l'hiver", "Au sommaire : bien s'équiper pour courir dans le froid et sous la pluie."),
    (57, "le yoga des coureurs", "Au sommaire : dix postures de yoga pour récupérer après les sorties longues."),
    (58, "préparer son premier semi-marathon", "Au sommaire : un plan d'entraînement de dix semaines pour boucler son premier semi."),
    (59, "manger mieux, courir mieux", "Au sommaire : nos recettes de saison et les conseils d'une diététicienne du sport."),
    (60, "spécial trail côtier", "Au sommaire : les plus beaux trails du littoral breton et comment s'y préparer."),
    (61, "renforcement musculaire à la maison", "Au sommaire : trois séances de 30 minutes avec des haltères et des bandes élastiques."),
    (62, "le sommeil du sportif", "Au sommaire : comprendre le rôle du sommeil dans la récupération."),
]
HORS_SERIES = [
    (11, "le guide des chaussures de running", "Ce hors-série compare plus de 60 modèles de chaussures de running, sur route et sur sentier."),
    (12, "100 exercices de musculation", "Ce hors-série détaille 100 exercices illustrés, du débutant au confirmé."),
]

FOODS = [  # (name, code, price, weight, description)
    ("Barres protéinées cacao-noisette (boîte de 12)", "BPR", 2299, 660,
     "Des barres riches en protéines pour la récupération après l'effort ou pour une collation entre deux séances. "
     "Chaque barre de 55 g apporte **20 g de protéines** et moins de 2 g de sucres.\n\n"
     "- Sans huile de palme\n- Fabriquées en France\n- Enrobage chocolat au lait\n\n"
     "À consommer dans le cadre d'une alimentation variée et équilibrée."),
    ("Protéine whey saveur vanille 1 kg", "WHE", 3490, 1080,
     "Une protéine de lactosérum à mélanger à de l'eau ou du lait après l'entraînement. "
     "Une dose de 30 g apporte 24 g de protéines et se dissout sans grumeaux.\n\n"
     "À conserver au sec, à l'abri de la chaleur. Ne remplace pas une alimentation variée."),
]

# Oak barrels: one table per category. `pick` entries are chosen per
# product; {line}, {volume} and {wood} are filled in from them.
BARREL_BRANDS = ["Tonnellerie Morvan", "Tonnellerie du Léon", "Tonnellerie Cognaçaise Delmas"]

BARREL_CATEGORIES = [
    {
        "slug": "barriques", "prefix": "TON", "count": 26,
        "types": [
            {"name": "Barrique bordelaise {line}225 L {wood}", "code": "BB2", "w": 4, "volumes": [225],
             "woods": ["chene_francais", "chene_francais", "chene_francais", "chene_hongrois", "chene_americain"],
             "usage": "est le format de référence pour l'élevage des grands vins rouges de garde"},
            {"name": "Pièce bourguignonne {line}228 L {wood}", "code": "PB2", "w": 3, "volumes": [228],
             "woods": ["chene_francais", "chene_francais", "acacia", "chene_hongrois"],
             "usage": "convient à l'élevage des pinots noirs et des chardonnays"},
            {"name": "Barrique {line}300 L {wood}", "code": "B30", "w": 2, "volumes": [300],
             "woods": ["chene_francais", "chene_americain", "chataignier"],
             "usage": "offre un rapport bois/vin plus doux, idéal pour les élevages longs"},
            {"name": "Demi-muid {line}500 L {wood}", "code": "DM5", "w": 2, "volumes": [500],
             "woods": ["chene_francais", "chene_hongrois", "acacia"],
             "usage": "apporte une micro-oxygénation lente, idéale pour les vins blancs et les vins de garde"},
            {"name": "Barrique d'occasion {volume} L ex-{prev_short}, {uses}", "code": "OCC", "w": 3,
             "volumes": [225, 228], "woods": ["chene_francais"], "used": ["vin_rouge", "vin_blanc"]},
            {"name": "Barrique ex-{prev_short} {volume} L {wood}", "code": "EXS", "w": 2,
             "volumes": [225, 300], "woods": ["chene_americain", "chene_francais"],
             "used": ["cognac", "whisky", "rhum", "porto"]},
        ],
    },
    {
        "slug": "foudres", "prefix": "TON", "count": 12,
        "types": [
            {"name": "Foudre ovale {line}{volume} L {wood}", "code": "FOV", "w": 3, "volumes": [600, 700, 800, 1000],
             "woods": ["chene_francais", "chene_francais", "chene_hongrois"], "chauffes": ["légère", "moyenne"],
             "usage": "permet d'élever de grands volumes en préservant le fruit du vin"},
            {"name": "Foudre tronconique {line}{volume} L {wood}", "code": "FTR", "w": 2, "volumes": [600, 800, 1000],
             "woods": ["chene_francais", "chene_hongrois", "acacia"], "chauffes": ["légère", "moyenne"],
             "usage": "sert autant à la vinification qu'à l'élevage"},
            {"name": "Cuve tronconique de vinification {volume} L {wood}", "code": "CTV", "w": 1, "volumes": [600, 900, 1000],
             "woods": ["chene_francais"], "chauffes": ["légère"],
             "usage": "accueille les fermentations en grappes entières et les pigeages manuels"},
            {"name": "Foudre d'occasion {volume} L ex-{prev_short}", "code": "FOC", "w": 1, "volumes": [600, 800, 1000],
             "woods": ["chene_francais"], "used": ["vin_rouge", "vin_blanc"]},
        ],
    },
    {
        "slug": "tonnelets", "prefix": "TON", "count": 16, "price_style": "ninety",
        "types": [
            {"name": "Tonnelet {line}{volume} L {wood}", "code": "TLT", "w": 4, "volumes": [5, 10, 20, 30, 50, 60],
             "woods": ["chene_francais", "chene_francais", "chene_americain", "chene_hongrois", "acacia", "chataignier"],
             "usage": "trouve sa place à la cave comme à la maison, pour le vin, le porto ou le rhum arrangé"},
            {"name": "Vinaigrier {volume} L {wood} avec robinet", "code": "VIN", "w": 2, "volumes": [5, 10, 15],
             "woods": ["chene_francais", "chataignier", "acacia"], "chauffes": [],
             "usage": "permet de produire son propre vinaigre de vin à partir d'une mère de vinaigre"},
            {"name": "Tonnelet à rhum arrangé {volume} L {wood}", "code": "TRA", "w": 1, "volumes": [5, 10],
             "woods": ["chene_americain", "chene_francais"],
             "usage": "donne en quelques semaines au rhum arrangé des notes boisées et vanillées"},
            {"name": "Fût d'affinage ex-{prev_short} {volume} L", "code": "FAF", "w": 1, "volumes": [10, 20, 30],
             "woods": ["chene_francais", "chene_americain"], "used": ["cognac", "whisky", "porto"]},
        ],
    },
]

PREV_SHORT = {"vin_rouge": "vin rouge", "vin_blanc": "vin blanc", "cognac": "cognac",
              "whisky": "whisky", "rhum": "rhum", "porto": "porto"}
WOOD_PRICE_PER_LITER = {  # euro cents per litre for a new 225 L barrel
    "chene_francais": 420, "chene_hongrois": 310, "acacia": 360,
    "chene_americain": 230, "chataignier": 200,
}
GRAINS = ["fin", "extra-fin", "mi-fin"]

BARREL_INTROS = [
    "Fabriqué à la main par la {brand}, ce fût de {volume} litres en {wood} {usage}.",
    "Ce fût de {volume} litres en {wood} {usage}.",
    "La {brand} assemble ce fût de {volume} litres à partir de merrains {wood_de} sélectionnés un à un : il {usage}.",
    "Issu des ateliers de la {brand}, ce fût de {volume} litres en {wood} {usage}.",
]
WOOD_SENTENCES = {
    "chene_francais": "Le chêne français, au grain {grain}, apporte des tanins fins et des notes de vanille et de pain grillé.",
    "chene_americain": "Le chêne américain, plus riche en lactones, donne des arômes marqués de noix de coco et de vanille.",
    "chene_hongrois": "Le chêne hongrois apporte une structure tannique ample et des notes épicées discrètes.",
    "acacia": "L'acacia préserve la fraîcheur et le fruit, avec des notes florales et miellées très appréciées sur les vins blancs.",
    "chataignier": "Le châtaignier, plus poreux, favorise une oxygénation rapide et colore peu le vin.",
}
BARREL_BULLETS = [
    "Merrains séchés **{months} mois** à l'air libre",
    "Chauffe au feu de bois, contrôlée à cœur",
    "Cerclage en acier galvanisé",
    "Fonds jointés au jonc, sans colle",
    "Bonde en silicone alimentaire fournie",
    "Test d'étanchéité à l'eau chaude avant expédition",
    "Marquage au fer de la tonnellerie et de la chauffe",
]
BARREL_CLOSINGS = [
    "Avant le premier remplissage, un gonflement à l'eau de 24 à 48 heures est indispensable.",
    "Expédition sur palette sous trois semaines, partout en France.",
    "Entre deux utilisations, conservez le fût dans un local frais et méchez-le au soufre.",
    "Les professionnels peuvent demander un devis pour des commandes de plus de dix fûts.",
]
USED_SENTENCES = [
    "Ce fût a contenu {prev} pendant {years} ans avant d'être démonté, contrôlé et remonté dans nos ateliers.",
    "Ce fût a élevé {prev} pendant {years} ans ; il a été rincé, contrôlé et reconditionné par la {brand}.",
]
USED_USES = [
    "Idéal pour affiner une bière, un cidre ou un spiritueux maison.",
    "Il transmet encore des arômes marqués : goûtez régulièrement pendant l'affinage.",
    "Une solution économique pour l'élevage des vins de table ou pour la décoration.",
]
TONNELET_CLOSINGS = [
    "Avant le premier remplissage, laissez gonfler le bois 24 heures avec de l'eau.",
    "Expédié sous 48 heures, soigneusement emballé.",
    "Une idée de cadeau pour les amateurs de vin et de spiritueux.",
]
TONNELET_BULLETS = [
    "Robinet en bois fourni",
    "Chevalet de support en bois inclus",
    "Cerclage en acier galvanisé",
    "Bonde en liège",
]

# Status overrides: these go in draft or archived; everything else is active.
DRAFT_COUNT, ARCHIVED_COUNT = 6, 4
SALE_SHARE = 0.15     # share of products with a compare-at price
NO_EAN_SHARE = 0.05   # share of variants without an EAN


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

def slugify(text: str) -> str:
    text = text.replace("œ", "oe").replace("Œ", "Oe").replace("æ", "ae").replace("Æ", "Ae")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = text.lower().replace("'", "")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def sku_code(value: str) -> str:
    if value in COLORS:
        return COLORS[value]
    if value in CHAUFFES:
        return CHAUFFES[value]
    return re.sub(r"[^A-Z0-9]", "", slugify(value).upper())


def ean13_check(first12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def round_price(rng: random.Random, cents: int, style: str) -> int:
    """Rounds a raw price to the endings a French shop would use."""
    euros = cents // 100
    if style == "bike":  # 1 299,00 €
        return (euros // 100 * 100 + 99) * 100
    if style == "barrel":  # 950,00 €, 4 850,00 € for the big ones
        step = 50 if euros >= 2000 else 10
        return max(step, round(euros / step) * step) * 100
    if style == "ninety":  # 19,90 €
        return euros * 100 + 90
    # retail: 89,99 € mostly, sometimes 89,90 € or 90,00 €
    euros = euros // 10 * 10 + 9 if euros >= 10 else euros
    r = rng.random()
    if r < 0.75:
        return euros * 100 + 99
    if r < 0.9:
        return euros * 100 + 90
    return (euros + 1) * 100


def pick_contiguous(rng: random.Random, seq, kmin: int, kmax: int):
    seq = list(seq)
    k = rng.randint(min(kmin, len(seq)), min(kmax, len(seq)))
    start = rng.randint(0, len(seq) - k)
    return seq[start:start + k]


def pick_colors(rng: random.Random, palette, two_share: float):
    n = 2 if rng.random() < two_share else 1
    return rng.sample(list(palette), min(n, len(palette)))


def combine(*axes):
    """Cartesian product of option axes [(name, [(value, price_d, weight_d)])]."""
    variants = [([], 0, 0)]
    for name, values in axes:
        variants = [(opts + [(name, v)], p + dp, w + dw)
                    for opts, p, w in variants for v, dp, dw in values]
    return variants


def color_axis(colors):
    """A couleur axis, or nothing when there is one colour only."""
    return [("couleur", [(c, 0, 0) for c in colors])] if len(colors) > 1 else []


# ---------------------------------------------------------------------------
# Variant schemes: each returns [(options, price_delta, weight_delta)]
# ---------------------------------------------------------------------------

def scheme_shoe(rng, spec, genre):
    sizes = pick_contiguous(rng, SHOE_SIZES[genre], 4, 6)
    step = spec.get("weight_step", 8)
    mid = sizes[len(sizes) // 2]
    colors = pick_colors(rng, spec.get("colors", BRIGHT), 0.25)
    return combine(("pointure", [(str(s), 0, (s - mid) * step) for s in sizes]), *color_axis(colors))


def scheme_apparel(rng, spec, genre):
    if genre == "enfant":
        sizes = pick_contiguous(rng, KID_SIZES, 3, 5)
    elif genre == "femme":
        sizes = pick_contiguous(rng, APPAREL_SIZES[:5], 3, 5)
    else:
        sizes = pick_contiguous(rng, APPAREL_SIZES[1:], 3, 5)
    step = spec.get("weight_step", 10)
    colors = pick_colors(rng, spec.get("colors", SOBER), 0.3)
    return combine(("taille", [(s, 0, i * step) for i, s in enumerate(sizes)]), *color_axis(colors))


def scheme_bike(rng, spec, genre):
    sizes = spec.get("sizes") or ["S", "M", "L"]
    if "sizes" not in spec and rng.random() < 0.3:
        sizes = ["XS"] + sizes if rng.random() < 0.5 else sizes + ["XL"]
    step = spec.get("weight_step", 150)
    return combine(("taille", [(s, 0, i * step) for i, s in enumerate(sizes)]))


def scheme_bike_colors(rng, spec, genre):
    colors = pick_colors(rng, spec["colors"], 0.4)
    step = spec.get("weight_step", 150)
    sizes = ["S", "M", "L"] if len(colors) == 1 else ["M", "L"]
    return combine(("taille", [(s, 0, i * step) for i, s in enumerate(sizes)]), *color_axis(colors))


def scheme_sizes_colors(rng, spec, genre):
    sizes = ["XS", "S"] if genre == "enfant" else spec["sizes"]
    colors = pick_colors(rng, spec["colors"], 0.3)
    step = spec.get("weight_step", 10)
    return combine(("taille", [(s, 0, i * step) for i, s in enumerate(sizes)]), *color_axis(colors))


def scheme_colors(rng, spec, genre):
    n = rng.choice([1, 1, 2, 3])
    colors = rng.sample(spec["colors"], min(n, len(spec["colors"])))
    return combine(*color_axis(colors))


def scheme_list(rng, spec, genre):
    kmin, kmax = spec["k"]
    values = pick_contiguous(rng, spec["values"], kmin, kmax)
    if len(values) == 1:
        return [([], 0, 0)]
    p, w = spec.get("price_step", 0), spec.get("weight_step", 0)
    return combine((spec["option"], [(v, i * p, i * w) for i, v in enumerate(values)]))


def scheme_single(rng, spec, genre):
    return [([], 0, 0)]


SCHEMES = {
    "shoe": scheme_shoe, "apparel": scheme_apparel, "bike": scheme_bike,
    "bike_colors": scheme_bike_colors, "sizes_colors": scheme_sizes_colors,
    "colors": scheme_colors, "list": scheme_list, "single": scheme_single,
}


# ---------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------

class Catalog:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.products = []  # dicts with the product columns and "variants"
        self.names = set()
        self.gs1_next = {brand: 100 + 37 * i for i, brand in enumerate(BRAND_GS1)}

    # -- shared pieces ---------------------------------------------------

    def unique_name(self, make):
        for _ in range(200):
            name = make()
            if name not in self.names and slugify(name) not in {slugify(n) for n in self.names}:
                self.names.add(name)
                return name
        raise RuntimeError("could not find a unique product name")

    def ean(self, brand: str) -> str:
        if self.rng.random() < NO_EAN_SHARE:
            return ""
        item = self.gs1_next[brand]
        self.gs1_next[brand] += 1
        first12 = "376" + BRAND_GS1[brand] + f"{item:05d}"
        return first12 + ean13_check(first12)

    def add(self, *, category, prefix, code, name, brand, tax_class, description,
            attributes, variants, price, weight, style, fixed_price=False):
        number = len(self.products) + 1
        base_sku = f"{prefix}-{code}-{number:04d}"
        # Books and press have a fixed retail price in France: never on sale.
        on_sale = self.rng.random() < SALE_SHARE and not fixed_price
        factor = self.rng.uniform(1.15, 1.4)
        rows = []
        for options, price_delta, weight_delta in variants:
            sku = "-".join([base_sku] + [sku_code(v) for _, v in options])
            p = price + price_delta
            compare = ""
            if on_sale:
                c = round_price(self.rng, int(p * factor), style)
                compare = c if c > p else p + (10000 if style == "bike" else 1000)
            rows.append({
                "sku": sku,
                "options": "|".join(f"{k}={v}" for k, v in options),
                "ean13": self.ean(brand),
                "price_minor": p,
                "compare_at_price_minor": compare,
                "weight_grams": max(1, weight + weight_delta),
            })
        self.products.append({
            "product_slug": slugify(name), "product_name": name, "brand": brand,
            "category": category, "status": "active", "tax_class": tax_class,
            "description": description, "image_urls": "",
            "attributes": "|".join(f"{k}={v}" for k, v in attributes), "variants": rows,
        })

    # -- sports ----------------------------------------------------------

    def sports_category(self, cat):
        rng = self.rng
        types = cat["types"]
        weights = [t.get("w", 1) for t in types]
        for _ in range(cat["count"]):
            spec = dict(rng.choices(types, weights)[0])
            if "pick" in spec:
                spec.update(rng.choice(spec["pick"]))
            genre = rng.choice(spec["genres"]) if "genres" in spec else None
            if genre in ("homme", "mixte") and rng.random() < 0.12:
                genre = None  # not every product says who it is for
            g = GENRE_WORD[genre] if "{g}" in spec["name"] else ""
            fields = {k: v for k, v in spec.items() if isinstance(v, (int, str))}

            def make_model():
                return rng.choice(MODELS) + rng.choice(spec.get("suffixes", cat["suffixes"]))

            model_box = {}

            def make_name():
                model_box["model"] = make_model()
                return spec["name"].format(**{**fields, "g": g, "model": model_box["model"]})

            name = self.unique_name(make_name)
            model = model_box["model"]
            brand = rng.choice(cat["brands"])

            attributes = []
            if genre:
                attributes.append(("genre", genre))
            if spec.get("niveaux") and rng.random() < 0.65:
                attributes.append(("niveau", "debutant" if genre == "enfant" else rng.choice(spec["niveaux"])))

            style = cat.get("price_style", "retail")
            lo, hi = spec["price"]
            raw = rng.randint(lo, hi)
            wlo, whi = spec["weight"]
            weight = rng.randint(wlo, whi)
            if genre == "enfant":
                raw = max(lo * 6 // 10, raw * 6 // 10) if spec["scheme"] != "colors" else raw
                weight = weight * 7 // 10 if spec["scheme"] in ("shoe", "apparel") else weight
            price = min(round_price(rng, raw, style), hi)  # rounding up may pass the top
            weight = round(weight / 5) * 5 if weight > 50 else weight

            variants = SCHEMES[spec["scheme"]](rng, spec, genre)
            description = self.sports_description(cat, spec, model, brand, genre)
            self.add(category=cat["slug"], prefix=cat["prefix"], code=spec["code"], name=name,
                     brand=brand, tax_class=spec.get("tax", "standard"), description=description,
                     attributes=attributes, variants=variants, price=price, weight=weight, style=style)

    def sports_description(self, cat, spec, model, brand, genre):
        rng = self.rng
        public = "les jeunes sportifs" if genre == "enfant" else cat["public"]
        article, rest = spec["noun"].split(" ", 1)
        feminine = article == "une"
        if rest[0].lower() in "aeiouyéèêh":
            the = "l'" + rest
        else:
            the = ("la " if feminine else "le ") + rest
        intro = rng.choice(SPORT_INTROS).format(
            model=model, brand=brand, noun=spec["noun"], usage=spec["usage"], public=public,
            the=the, e="e" if feminine else "", Dernier="Dernière-née" if feminine else "Dernier-né")
        intro = intro[0].upper() + intro[1:]
        n_feat = rng.choice([1, 2, 2])
        feats = rng.sample(spec["features"], min(n_feat, len(spec["features"])))
        parts = [intro + " " + feats[0]]
        if rng.random() < 0.45:
            parts.append("\n".join("- " + b for b in rng.sample(spec["bullets"], min(3, len(spec["bullets"])))))
        tail = feats[1:]
        if rng.random() < 0.5:
            tail.append(rng.choice(cat["closings"]))
        if tail:
            parts.append(" ".join(tail))
        return "\n\n".join(parts)

    # -- books, press, food ---------------------------------------------------

    def guides(self):
        rng = self.rng
        for title, brand, pages, sentence in GUIDES:
            self.names.add(title)
            parts = [sentence + " " + rng.choice([
                "Chaque randonnée est décrite pas à pas, avec sa distance, son dénivelé et sa durée.",
                "Chaque itinéraire est accompagné d'une carte détaillée et des points d'intérêt à ne pas manquer.",
                "Les parcours sont classés par difficulté, de la balade facile à la randonnée sportive.",
            ])]
            if rng.random() < 0.6:
                bullets = rng.sample([
                    "Cartes détaillées au 1:25 000",
                    "Format poche, couverture souple",
                    f"{pages} pages, nombreuses photographies en couleur",
                    "Traces GPS téléchargeables",
                    "Hébergements et ravitaillements sur le parcours",
                ], 3)
                parts.append("\n".join("- " + b for b in bullets))
            parts.append(rng.choice(["Édition 2024, entièrement mise à jour.",
                                     "Un guide indispensable pour préparer votre randonnée.",
                                     "Nouvelle édition revue et augmentée."]))
            price = round_price(rng, rng.randint(1290, 2990), "ninety")
            weight = 250 + pages + rng.randint(0, 40)
            self.add(category="guides-randonnee", prefix="RAN", code="GUI", name=title, brand=brand,
                     tax_class="reduced", description="\n\n".join(parts), attributes=[],
                     variants=[([], 0, 0)], price=price, weight=min(600, weight), style="ninety",
                     fixed_price=True)

    def magazines(self):
        rng = self.rng
        issues = [(f"Breizh Fit Magazine n° {n} : {theme}", s, 590 + 100 * rng.randint(0, 1), 180)
                  for n, theme, s in MAGAZINES]
        issues += [(f"Breizh Fit hors-série n° {n} : {theme}", s, 890, 260) for n, theme, s in HORS_SERIES]
        for name, sentence, price, weight in issues:
            self.names.add(name)
            second = rng.choice([
                "Retrouvez aussi nos programmes d'entraînement, nos recettes de saison et le portrait d'un sportif breton.",
                "Comme chaque mois, le magazine propose aussi des tests de matériel et un agenda des courses en Bretagne.",
                "Vous y trouverez également des fiches d'exercices détachables et les conseils de nos coachs.",
            ])
            parts = [sentence + " " + second]
            if rng.random() < 0.5:
                parts.append("Parution mensuelle, 100 pages, disponible en kiosque et sur notre boutique.")
            self.add(category="magazines-fitness", prefix="FIT", code="MAG", name=name, brand="Breizh Fit",
                     tax_class="super_reduced", description="\n\n".join(parts), attributes=[],
                     variants=[([], 0, 0)], price=price, weight=weight + rng.randint(0, 20), style="ninety",
                     fixed_price=True)

    def foods(self):
        for name, code, price, weight, description in FOODS:
            self.names.add(name)
            self.add(category="musculation", prefix="FIT", code=code, name=name, brand="Breizh Fit",
                     tax_class="reduced", description=description, attributes=[],
                     variants=[([], 0, 0)], price=price, weight=weight, style="ninety")

    # -- barrels ---------------------------------------------------------

    def barrel_category(self, cat):
        rng = self.rng
        types = cat["types"]
        weights = [t.get("w", 1) for t in types]
        style = cat.get("price_style", "barrel")
        for _ in range(cat["count"]):
            spec = rng.choices(types, weights)[0]
            used = spec.get("used")
            state = {}

            def make_name():
                state["volume"] = rng.choice(spec["volumes"])
                state["wood"] = rng.choice(spec["woods"])
                state["prev"] = rng.choice(used) if used else None
                if state["prev"] in ("whisky", "rhum"):
                    state["wood"] = "chene_americain"
                elif state["prev"] in ("cognac", "porto", "vin_rouge", "vin_blanc"):
                    state["wood"] = "chene_francais"
                line = rng.choice(BARREL_LINES + ["", ""])
                state["uses"] = rng.choice([1, 2, 3])
                return spec["name"].format(
                    line=line + " " if line else "", volume=state["volume"],
                    wood=WOODS[state["wood"]][0], prev_short=PREV_SHORT.get(state["prev"], ""),
                    uses="1 vin" if state["uses"] == 1 else f"{state['uses']} vins")

            name = self.unique_name(make_name)
            volume, wood, prev = state["volume"], state["wood"], state["prev"]
            if prev == "cognac" or (wood == "chene_francais" and rng.random() < 0.2):
                brand = "Tonnellerie Cognaçaise Delmas"
            else:
                brand = rng.choice(BARREL_BRANDS[:2])

            attributes = [("wood_type", wood), ("volume_liters", str(volume))]
            if prev:
                attributes.append(("previous_content", prev))
            elif rng.random() < 0.6:
                attributes.append(("previous_content", "neuf"))
            if prev == "porto":
                attributes.append(("origin", "PT"))
            elif prev in ("whisky", "rhum"):
                attributes.append(("origin", "US"))
            elif rng.random() < 0.8:
                attributes.append(("origin", rng.choice(WOODS[wood][2])))

            # Price and weight from volume and wood.
            if cat["slug"] == "tonnelets":
                per_l = {"chene_francais": 650, "chene_hongrois": 550, "acacia": 600,
                         "chene_americain": 450, "chataignier": 400}[wood]
                raw = (5000 + volume * per_l) * rng.uniform(0.93, 1.1)
                if prev:
                    raw *= 1.15  # spirit casks are sought after
                weight = int(volume * 300 + 1500 + rng.randint(-200, 300))
            else:
                per_l = WOOD_PRICE_PER_LITER[wood]
                if cat["slug"] == "foudres":
                    per_l *= 2.6  # large formats are built by hand, with thick staves
                elif volume >= 500:
                    per_l *= 0.85
                raw = volume * per_l * rng.uniform(0.92, 1.12)
                if prev in ("vin_rouge", "vin_blanc"):
                    if cat["slug"] == "barriques":  # the fewer wines, the more oak is left
                        raw = {1: rng.randint(52000, 59000), 2: rng.randint(45000, 51000),
                               3: rng.randint(39000, 44000)}[state["uses"]]
                    else:
                        raw *= 0.45
                elif prev:
                    raw = rng.randint(45000, 69000)
                per_kg = 0.25 if cat["slug"] == "foudres" else (0.19 if volume >= 500 else 0.215)
                weight = int(volume * per_kg * 1000 * rng.uniform(0.95, 1.08))
            price = round_price(rng, int(raw), style)
            weight = round(weight / 100) * 100 if weight > 10000 else round(weight / 10) * 10

            chauffes = spec.get("chauffes", list(CHAUFFES))
            if prev or not chauffes:
                variants = [([], 0, 0)]
                chosen = []
            else:
                chosen = pick_contiguous(rng, chauffes, 1, 3 if len(chauffes) > 2 else 2)
                variants = [([("chauffe", c)], 0, 0) for c in chosen] if len(chosen) > 1 else [([], 0, 0)]
            description = self.barrel_description(cat, spec, brand, volume, wood, prev, chosen)
            self.add(category=cat["slug"], prefix=cat["prefix"], code=spec["code"], name=name, brand=brand,
                     tax_class="standard", description=description, attributes=attributes,
                     variants=variants, price=price, weight=weight, style=style)

    def barrel_description(self, cat, spec, brand, volume, wood, prev, chauffes):
        rng = self.rng
        label, label_de, _ = WOODS[wood]
        closings = TONNELET_CLOSINGS if cat["slug"] == "tonnelets" else BARREL_CLOSINGS
        if prev:
            first = rng.choice(USED_SENTENCES).format(prev=PREVIOUS[prev], years=rng.randint(2, 6), brand=brand)
            if rng.random() < 0.4:
                first += f" Contenance : {volume} litres, en {label}."
            parts = [first + " " + rng.choice(USED_USES)]
            if rng.random() < 0.5:
                parts.append(rng.choice(closings))
            return "\n\n".join(parts)
        intro = rng.choice(BARREL_INTROS).format(brand=brand, volume=volume, wood=label,
                                                 wood_de=label_de, usage=spec["usage"])
        sentences = [intro, WOOD_SENTENCES[wood].format(grain=rng.choice(GRAINS))]
        if len(chauffes) > 1:
            listed = ", ".join(chauffes[:-1]) + " ou " + chauffes[-1]
            chauffe = f"Disponible en chauffe {listed}."
        elif chauffes:
            chauffe = f"Chauffe {chauffes[0]}, réalisée au feu de bois."
        else:
            chauffe = ""
        parts = [" ".join(sentences)]
        if rng.random() < 0.5:
            pool = TONNELET_BULLETS if cat["slug"] == "tonnelets" else BARREL_BULLETS
            bullets = [b.format(months=rng.choice([18, 24, 36])) for b in rng.sample(pool, 3)]
            parts.append("\n".join("- " + b for b in bullets))
        tail = [s for s in (chauffe, rng.choice(closings) if rng.random() < 0.5 else "") if s]
        if tail:
            parts.append(" ".join(tail))
        return "\n\n".join(parts)

    # -- statuses ----------------------------------------------------------

    def set_statuses(self):
        rng = self.rng
        mags = [p for p in self.products if p["category"] == "magazines-fitness"]
        # The two oldest issues are off sale, the newest one is being prepared.
        for p in mags[:2]:
            p["status"] = "archived"
        mags[len(MAGAZINES) - 1]["status"] = "draft"
        others = [p for p in self.products if p["category"] != "magazines-fitness"]
        picked = rng.sample(others, (DRAFT_COUNT - 1) + (ARCHIVED_COUNT - 2))
        for p in picked[:DRAFT_COUNT - 1]:
            p["status"] = "draft"
        for p in picked[DRAFT_COUNT - 1:]:
            p["status"] = "archived"

    # -- all -----------------------------------------------------------------

    def build(self):
        sports = {c["slug"]: c for c in CATEGORIES}
        barrels = {c["slug"]: c for c in BARREL_CATEGORIES}
        for slug in CATEGORY_ORDER:
            if slug in sports:
                self.sports_category(sports[slug])
                if slug == "musculation":
                    self.foods()
            elif slug in barrels:
                self.barrel_category(barrels[slug])
            elif slug == "guides-randonnee":
                self.guides()
            elif slug == "magazines-fitness":
                self.magazines()
        self.set_statuses()
        return self

    def write(self, out):
        writer = csv.writer(out, delimiter=";", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(HEADER)
        for p in self.products:
            for v in p["variants"]:
                row = {**p, **v}
                writer.writerow([row[c] for c in HEADER])


# ---------------------------------------------------------------------------
# Check: reads a CSV back and verifies the format rules
# ---------------------------------------------------------------------------

LEAF_CATEGORIES = set(CATEGORY_ORDER)
BARREL_CATS = {"barriques", "foudres", "tonnelets"}
NO_ATTR_CATS = {"guides-randonnee", "magazines-fitness"}
PRODUCT_COLUMNS = ["product_slug", "product_name", "brand", "category", "status", "tax_class",
                   "description", "image_urls", "attributes"]


def check(path: str) -> int:
    errors = []

    def err(msg):
        errors.append(msg)

    with open(path, "rb") as f:
        raw = f.read()
    if raw.startswith(b"\xef\xbb\xbf"):
        err("file starts with a BOM")
    text = raw.decode("utf-8")
    reader = csv.reader(text.splitlines(keepends=True), delimiter=";")
    rows = list(reader)
    if rows[0] != HEADER:
        err(f"header differs: {rows[0]}")
    records = [dict(zip(HEADER, r)) for r in rows[1:]]
    for i, r in enumerate(rows[1:], start=2):
        if len(r) != len(HEADER):
            err(f"record {i}: {len(r)} fields")

    skus, eans = Counter(), Counter()
    products = defaultdict(list)
    for position, r in enumerate(records):
        r["_position"] = position
        skus[r["sku"]] += 1
        if not re.fullmatch(r"[A-Z0-9-]{3,64}", r["sku"]):
            err(f"bad sku {r['sku']}")
        products[r["product_slug"]].append(r)
        if r["ean13"]:
            eans[r["ean13"]] += 1
            e = r["ean13"]
            if not re.fullmatch(r"376\d{10}", e) or ean13_check(e[:12]) != e[12]:
                err(f"{r['sku']}: bad EAN-13 {e}")
        for col in ("price_minor", "weight_grams"):
            if not re.fullmatch(r"[1-9]\d*", r[col]):
                err(f"{r['sku']}: {col} not a positive integer: {r[col]!r}")
        if r["compare_at_price_minor"]:
            if not re.fullmatch(r"[1-9]\d*", r["compare_at_price_minor"]) or \
                    int(r["compare_at_price_minor"]) <= int(r["price_minor"]):
                err(f"{r['sku']}: compare-at not above price")
    for s, n in skus.items():
        if n > 1:
            err(f"duplicate sku {s}")
    for e, n in eans.items():
        if n > 1:
            err(f"duplicate EAN {e}")

    names = Counter()
    for slug, prows in products.items():
        first = prows[0]
        names[first["product_name"]] += 1
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug):
            err(f"bad slug {slug}")
        for r in prows[1:]:
            for c in PRODUCT_COLUMNS:
                if r[c] != first[c]:
                    err(f"{slug}: column {c} differs between variants")
        # Rows of a product must be contiguous in the file.
        idx = [r["_position"] for r in prows]
        if idx != list(range(idx[0], idx[0] + len(idx))):
            err(f"{slug}: rows are not contiguous")
        cat = first["category"]
        if cat not in LEAF_CATEGORIES:
            err(f"{slug}: unknown category {cat}")
        if first["status"] not in ("active", "draft", "archived"):
            err(f"{slug}: bad status")
        expected_tax = {"guides-randonnee": "reduced", "magazines-fitness": "super_reduced"}.get(cat)
        if expected_tax and first["tax_class"] != expected_tax:
            err(f"{slug}: tax class {first['tax_class']} for {cat}")
        if not expected_tax and first["tax_class"] not in ("standard", "reduced"):
            err(f"{slug}: tax class {first['tax_class']}")
        if first["tax_class"] == "reduced" and cat not in ("guides-randonnee", "musculation"):
            err(f"{slug}: reduced tax outside books and food")
        if first["image_urls"]:
            err(f"{slug}: image_urls not empty")
        if not first["description"].strip() or "<" in first["description"]:
            err(f"{slug}: empty description or HTML")
        if slugify(first["product_name"]) != slug:
            err(f"{slug}: slug not derived from the name")

        attrs = {}
        if first["attributes"]:
            for pair in first["attributes"].split("|"):
                k, _, v = pair.partition("=")
                if k in attrs:
                    err(f"{slug}: attribute {k} repeated")
                attrs[k] = v
        if cat in BARREL_CATS:
            allowed = {"wood_type", "volume_liters", "previous_content", "origin"}
            if set(attrs) - allowed or not {"wood_type", "volume_liters"} <= set(attrs):
                err(f"{slug}: barrel attributes {attrs}")
            if attrs.get("wood_type") not in WOODS:
                err(f"{slug}: wood_type {attrs.get('wood_type')}")
            vol = int(attrs.get("volume_liters", "0")) if attrs.get("volume_liters", "").isdigit() else 0
            ranges = {"barriques": (225, 500), "foudres": (600, 1000), "tonnelets": (5, 60)}[cat]
            if not (5 <= vol <= 1000 and ranges[0] <= vol <= ranges[1]):
                err(f"{slug}: volume_liters {vol}")
            if cat == "barriques" and vol not in (225, 228, 300, 500):
                err(f"{slug}: barrique volume {vol}")
            if "previous_content" in attrs and attrs["previous_content"] not in ["neuf"] + list(PREVIOUS):
                err(f"{slug}: previous_content {attrs['previous_content']}")
            if "origin" in attrs and attrs["origin"] not in ("FR", "US", "HU", "ES", "PT"):
                err(f"{slug}: origin {attrs['origin']}")
        elif cat in NO_ATTR_CATS:
            if attrs:
                err(f"{slug}: attributes on a book or magazine")
        else:
            if set(attrs) - {"genre", "niveau"}:
                err(f"{slug}: sports attributes {attrs}")
            if "genre" in attrs and attrs["genre"] not in ("homme", "femme", "mixte", "enfant"):
                err(f"{slug}: genre {attrs['genre']}")
            if "niveau" in attrs and attrs["niveau"] not in NIVEAUX:
                err(f"{slug}: niveau {attrs['niveau']}")

        option_sets, combos = set(), set()
        for r in prows:
            opts = [tuple(p.split("=", 1)) for p in r["options"].split("|")] if r["options"] else []
            if any(len(o) != 2 or not re.fullmatch(r"[a-z]+", o[0]) for o in opts):
                err(f"{r['sku']}: malformed options {r['options']!r}")
                continue
            if cat in BARREL_CATS and opts and {k for k, _ in opts} != {"chauffe"}:
                err(f"{r['sku']}: barrel options {r['options']}")
            if any(k == "chauffe" and v not in CHAUFFES for k, v in opts):
                err(f"{r['sku']}: chauffe {r['options']}")
            option_sets.add(tuple(k for k, _ in opts))
            combos.add(tuple(opts))
        if len(option_sets) > 1:
            err(f"{slug}: option names differ between variants")
        if len(combos) != len(prows):
            err(f"{slug}: option combinations not distinct")
        if len(prows) == 1 and prows[0]["options"]:
            err(f"{slug}: single variant with options")

    for n, c in names.items():
        if c > 1:
            err(f"duplicate product name {n}")

    # Report.
    per_cat = defaultdict(lambda: [0, 0])
    for slug, prows in products.items():
        per_cat[prows[0]["category"]][0] += 1
        per_cat[prows[0]["category"]][1] += len(prows)
    missing = LEAF_CATEGORIES - set(per_cat)
    if missing:
        err(f"categories without products: {sorted(missing)}")
    statuses = Counter(p[0]["status"] for p in products.values())
    taxes = Counter(p[0]["tax_class"] for p in products.values())
    sales = sum(1 for p in products.values() if p[0]["compare_at_price_minor"])
    no_ean = sum(1 for r in records if not r["ean13"])
    print(f"{'category':<22} {'products':>8} {'rows':>6}")
    for cat in sorted(per_cat, key=lambda c: (c not in CATEGORY_ORDER, CATEGORY_ORDER.index(c) if c in CATEGORY_ORDER else c)):
        print(f"{cat:<22} {per_cat[cat][0]:>8} {per_cat[cat][1]:>6}")
    print(f"{'total':<22} {len(products):>8} {len(records):>6}")
    print(f"statuses: {dict(statuses)}; tax classes: {dict(taxes)}")
    print(f"products on sale: {sales} ({sales / len(products):.0%}); "
          f"variants without EAN: {no_ean} ({no_ean / len(records):.1%})")
    for e in errors:
        print("ERROR:", e, file=sys.stderr)
    print("OK" if not errors else f"{len(errors)} error(s)")
    return 1 if errors else 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "--check":
        if len(argv) != 3:
            print("usage: demo_catalog.py --check FILE.csv", file=sys.stderr)
            return 2
        return check(argv[2])
    if len(argv) != 1:
        print("usage: demo_catalog.py [> FILE.csv] | --check FILE.csv", file=sys.stderr)
        return 2
    sys.stdout.reconfigure(encoding="utf-8", newline="\n")
    Catalog(SEED).build().write(sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
