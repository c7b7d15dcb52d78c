"""Leads Library's own words for its notices, from its real notice
(seeds/000_6645cd481ae8a4bf.txt), in English and Spanish. The rest of its notices is generated
from its data inventory and its settings (notices.documents).

Where the real notice falls short of the rules (requirements.md, "Seed notice check"), the
demo's text says what a compliant business would: it names the purposes of selling, states
that it has no actual knowledge of selling the data of consumers under 16 (the real notice
speaks only of "below 18"), and drops "continued patronage establishes acceptance" (§7002(e),
§7004: not consent to anything).
"""

from __future__ import annotations

LEADS_LIBRARY_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "introduction": (
            "This privacy policy is for residents of California. It explains what personal "
            "information Leads Library and its subsidiaries collect, why, who we sell it to or "
            "share it with, how long we keep it, and the rights you have under the California "
            "Consumer Privacy Act (CCPA) and how to use them.\n\n"
            "Leads Library builds and sells a directory of business contacts: we help "
            "businesses find new customers."
        ),
        "offline_practices": (
            "We collect most information online, from directories, company websites and "
            "third-party data providers. When you call us or write to us, we keep what you "
            "tell us only to answer you and to keep the record of your request the law "
            "requires. We do not collect personal information in stores or at events."
        ),
        "sale_purposes": (
            "We sell contact and employment information to businesses that use it to find new "
            "customers: to send them relevant marketing messages and to keep their contact "
            "lists up to date."
        ),
        "disclosure_purposes": (
            "We give personal information to our affiliates and subsidiaries and to service "
            "providers and contractors only under a written contract that names the purpose "
            "(for example hosting, data processing or customer support), requires them to keep "
            "it confidential and forbids any other use."
        ),
        "contact": (
            "Questions about this policy or our privacy practices: write to "
            "privacy@leads-library.example or call us toll-free."
        ),
    },
    "es": {
        "introduction": (
            "Esta política de privacidad es para los residentes de California. Explica qué "
            "información personal recopilan Leads Library y sus filiales, por qué, a quién se "
            "la vendemos o con quién la compartimos, cuánto tiempo la conservamos y los "
            "derechos que usted tiene según la Ley de Privacidad del Consumidor de California "
            "(CCPA) y cómo ejercerlos.\n\n"
            "Leads Library crea y vende un directorio de contactos de empresas: ayudamos a "
            "las empresas a encontrar nuevos clientes."
        ),
        "offline_practices": (
            "Recopilamos casi toda la información en línea, de directorios, sitios web de "
            "empresas y proveedores de datos. Cuando usted nos llama o nos escribe, guardamos "
            "lo que nos dice solo para responderle y para llevar el registro de su solicitud "
            "que exige la ley. No recopilamos información personal en tiendas ni en eventos."
        ),
        "sale_purposes": (
            "Vendemos información de contacto y de empleo a empresas que la usan para "
            "encontrar nuevos clientes: para enviarles mensajes de marketing pertinentes y "
            "para mantener al día sus listas de contactos."
        ),
        "disclosure_purposes": (
            "Damos información personal a nuestras filiales y subsidiarias y a proveedores de "
            "servicios y contratistas solo con un contrato escrito que indica el propósito "
            "(por ejemplo, alojamiento, procesamiento de datos o atención al cliente), les "
            "exige mantenerla confidencial y les prohíbe cualquier otro uso."
        ),
        "contact": (
            "Preguntas sobre esta política o nuestras prácticas de privacidad: escriba a "
            "privacy@leads-library.example o llámenos sin costo."
        ),
    },
}
