LABELS = {
    "track": "Traccia il tuo ordine",
    "expected": "Consegna prevista:",
    "your_order": "Il tuo ordine",
    "total": "Totale",
    "back_to_cart": "Torna al carrello",
    "valid_until": "Scadenza:",
    "nps_question": "Quanto è probabile che tu ci consigli a una persona che conosci?",
    "nps_low": "per niente probabile",
    "nps_high": "estremamente probabile",
    "recommended": "Potrebbe piacerti anche",
    "questions": "Domande? Rispondi a questa email o scrivi a",
    "preferences": "Preferenze email",
    "unsubscribe": "Annulla l'iscrizione",
    "percent_off": "{value}% di sconto sul tuo prossimo ordine",
    "amount_off": "{value} di sconto sul tuo prossimo ordine",
    "free_shipping": "Spedizione gratuita sul tuo prossimo ordine",
    "subtotal": "Subtotale",
    "discount": "Sconto",
    "shipping": "Spedizione",
    "tax": "IVA",
    "review": "Scrivi una recensione",
    "view": "Scopri",
    "shop": "Acquista ora",
    "cart_reason_question": "Che cosa ti ha fermato?",
    "reason_price": "Il prezzo",
    "reason_shipping_cost": "Le spese di spedizione",
    "reason_delivery_time": "I tempi di consegna",
    "reason_payment": "Il pagamento non è andato a buon fine",
    "reason_just_looking": "Stavo solo guardando",
    "reason_other": "Altro",
}

STEPS = {
    ("order_confirmation", "confirmation"): (
        "Grazie per il tuo ordine {{ order.number }}",
        "L'abbiamo ricevuto e lo stiamo già preparando.",
        "<h1>Grazie{% if customer.first_name %}, {{ customer.first_name }}{% endif %}!</h1>"
        "<p>Abbiamo ricevuto il tuo ordine {{ order.number }} e il nostro team lo sta preparando con cura. "
        "Ti scriveremo di nuovo non appena sarà partito.</p>"
        "<p>Puoi seguirlo in qualsiasi momento dalla tua pagina di tracciamento.</p>",
    ),
    ("shipment_confirmation", "shipped"): (
        "Il tuo ordine {{ order.number }} è in viaggio",
        "Te lo porta {{ shipment.carrier }}.",
        "<h1>Buone notizie{% if customer.first_name %}, {{ customer.first_name }}{% endif %}!</h1>"
        "<p>Il tuo ordine {{ order.number }} è partito e sta viaggiando con {{ shipment.carrier }}."
        "{% if shipment.estimated_delivery %} Consegna prevista: {{ shipment.estimated_delivery }}.{% endif %}</p>"
        "<p>Segui ogni tappa del viaggio dalla tua pagina di tracciamento.</p>",
    ),
    ("shipment_update", "out-for-delivery"): (
        "Arriva oggi: ordine {{ order.number }}",
        "Il tuo pacco è in consegna.",
        "<h1>Ci siamo quasi!</h1><p>Il pacco con il tuo ordine {{ order.number }} è in consegna oggi. "
        "Occhio al citofono!</p>",
    ),
    ("shipment_update", "delivered"): (
        "Consegnato: ordine {{ order.number }}",
        "Il tuo pacco è arrivato.",
        "<h1>Il tuo ordine è arrivato</h1><p>{{ shipment.carrier }} ci conferma che il pacco è stato consegnato. "
        "Speriamo che ti piaccia! Se qualcosa non va, rispondi pure a questa email.</p>",
    ),
    ("shipment_update", "attempt-failed"): (
        "Consegna mancata: ordine {{ order.number }}",
        "Il corriere non è riuscito a consegnare il tuo pacco.",
        "<h1>Consegna non riuscita</h1><p>{{ shipment.carrier }} ha provato a consegnare "
        "l'ordine {{ order.number }}, ma senza successo. Nella tua pagina di tracciamento trovi i prossimi "
        "passi e come fissare una nuova consegna.</p>",
    ),
    ("shipment_update", "available-for-pickup"): (
        "Pronto per il ritiro: ordine {{ order.number }}",
        "Il tuo pacco ti sta aspettando.",
        "<h1>Il tuo pacco ti aspetta</h1><p>L'ordine {{ order.number }} è pronto per il ritiro. "
        "Indirizzo e orari di apertura li trovi nella tua pagina di tracciamento.</p>",
    ),
    ("shipment_update", "exception"): (
        "Un aggiornamento sull'ordine {{ order.number }}",
        "Ce ne stiamo già occupando.",
        "<h1>Il tuo pacco ha subito un intoppo</h1><p>{{ shipment.carrier }} ci ha segnalato un problema "
        "con l'ordine {{ order.number }}. Ce ne stiamo occupando e ti aggiorneremo al più presto. "
        "Scusaci per l'attesa.</p>",
    ),
    ("delivered_followup", "how-is-it"): (
        "Come ti trovi con il tuo ordine?",
        "Siamo qui se ti serve una mano. E grazie!",
        "<h1>Ti piace il tuo ordine{% if customer.first_name %}, {{ customer.first_name }}{% endif %}?</h1>"
        "<p>Sono passati alcuni giorni dall'arrivo del tuo pacco. Se hai domande sui prodotti, "
        "basta rispondere a questa email: il nostro team è qui per te.</p>",
    ),
    ("nps_survey", "survey"): (
        "Una domanda veloce sull'ordine {{ order.number }}",
        "Bastano pochi secondi.",
        "<h1>Com'è andata?</h1><p>La tua opinione ci aiuta a migliorare. "
        "Scegli un numero qui sotto, poi premi Invia.</p>",
    ),
    ("nps_survey", "reminder"): (
        "Hai ancora un attimo per una domanda veloce?",
        "Raccontaci com'è andata con l'ordine {{ order.number }}.",
        "<p>Ci teniamo davvero a sapere cosa pensi dell'ordine {{ order.number }}. "
        "Scegli un numero qui sotto, poi premi Invia.</p>",
    ),
    ("abandoned_cart", "reminder-1h"): (
        "Hai lasciato qualcosa nel carrello",
        "Il tuo carrello ti aspetta.",
        "<h1>Ci stai ancora pensando?</h1><p>Abbiamo salvato il tuo carrello, così puoi riprendere "
        "esattamente da dove avevi lasciato.</p>",
    ),
    ("abandoned_cart", "help-24h"): (
        "Qualche domanda prima di ordinare?",
        "Resi semplici, spedizione tracciata e persone vere pronte ad aiutarti.",
        "<h1>Possiamo aiutarti?</h1><p>Se qualcosa ti ha frenato, siamo qui: i resi sono semplici, "
        "la spedizione è tracciata dall'inizio alla fine e il nostro team risponde a ogni messaggio.</p>"
        "{% if store.support_email %}<p>Rispondi a questa email o scrivici a {{ store.support_email }}.</p>"
        "{% endif %}",
    ),
    ("abandoned_cart", "coupon-72h"): (
        "Un pensiero per completare il tuo ordine",
        "Il tuo codice sconto scade presto.",
        "<h1>Un piccolo regalo, solo per te</h1><p>Usa il codice sconto qui sotto per completare il tuo ordine. "
        "È riservato a te e scade presto.</p>",
    ),
    ("replenishment", "running-low"): (
        "Stai per finire {{ product.name }}?",
        "Riordina con un clic prima di restare senza.",
        "<h1>È ora di fare scorta?</h1><p>Secondo i nostri calcoli, la tua scorta di {{ product.name }} "
        "sta per finire. Riordina ora e arriverà prima che tu rimanga senza.</p>"
        '<p><a href="{{ product.url }}">Riordina {{ product.name }}</a></p>',
    ),
    ("win_back", "offer"): (
        "Ci manchi{% if customer.first_name %}, {{ customer.first_name }}{% endif %}",
        "Abbiamo un regalo per il tuo ritorno.",
        "<h1>È passato un po' di tempo</h1><p>Ci farebbe davvero piacere rivederti: per darti il bentornato, "
        "ecco un regalo per il tuo prossimo ordine.</p>",
    ),
    ("win_back", "offer-vip"): (
        "Un grazie speciale, solo per te{% if customer.first_name %}, {{ customer.first_name }}{% endif %}",
        "Fai parte della nostra clientela più affezionata.",
        "<h1>Grazie per la tua fiducia</h1><p>Hai fatto tanti ordini con noi e ultimamente ci manchi. Per "
        "ringraziarti, ecco un regalo che riserviamo alla nostra clientela più fedele.</p>",
    ),
    ("win_back", "offer-one-time"): (
        "Che ne dici di un secondo ordine?",
        "Un piccolo regalo per il tuo prossimo ordine.",
        "<h1>Grazie per averci scelto</h1><p>Speriamo che il tuo primo ordine ti abbia fatto sorridere. Se vuoi "
        "scoprire qualcos'altro, ecco un regalo per rendere il secondo ordine ancora più piacevole.</p>",
    ),
    ("win_back", "values"): (
        "Ecco le nostre novità",
        "Nuovi arrivi e le cose a cui teniamo davvero.",
        "<h1>Sono cambiate tante cose dalla tua ultima visita</h1><p>Nuovi prodotti, la stessa cura "
        "in ogni ordine e un team che legge ogni messaggio. Dai un'occhiata alle novità.</p>",
    ),
    ("win_back", "farewell"): (
        "Dobbiamo smettere di scriverti?",
        "Continueremo a scriverti solo se lo vuoi tu.",
        "<h1>È un addio?</h1><p>È da un po' che non ti sentiamo, quindi smetteremo di inviarti offerte. "
        "Se vuoi continuare a sentirci, ti basta aggiornare le tue preferenze email.</p>",
    ),
    ("delivery_apology", "apology"): (
        "Scusaci, l'ordine {{ order.number }} sta tardando",
        "Lo stiamo tenendo d'occhio per te.",
        "<h1>Ci scusiamo per il ritardo</h1><p>Il tuo pacco non sta viaggiando con la rapidità prevista. "
        "Siamo in contatto con {{ shipment.carrier }} e ti avviseremo non appena la consegna "
        "riprenderà regolarmente.</p>",
    ),
}

# The words of each default email's blocks (layout: campaigns.design.defaults; see en.py).
DESIGNS = {
    ("order_confirmation", "confirmation"): {
        "heading": "Grazie!",
        "text": "<p>Abbiamo ricevuto il tuo ordine {{ order.number }} e il nostro team lo sta preparando con cura. "
        "Ti scriveremo di nuovo non appena sarà partito.</p>"
        "<p>Puoi seguirlo in qualsiasi momento dalla tua pagina di tracciamento.</p>",
    },
    ("shipment_confirmation", "shipped"): {
        "heading": "Buone notizie!",
        "text": "<p>Il tuo ordine {{ order.number }} è partito e sta viaggiando con {{ shipment.carrier }}.</p>"
        "<p>Segui ogni tappa del viaggio dalla tua pagina di tracciamento.</p>",
    },
    ("shipment_update", "out-for-delivery"): {
        "heading": "Ci siamo quasi!",
        "text": "<p>Il pacco con il tuo ordine {{ order.number }} è in consegna oggi. Occhio al citofono!</p>",
    },
    ("shipment_update", "delivered"): {
        "heading": "Il tuo ordine è arrivato",
        "text": "<p>{{ shipment.carrier }} ci conferma che il pacco è stato consegnato. "
        "Speriamo che ti piaccia! Se qualcosa non va, rispondi pure a questa email.</p>",
    },
    ("shipment_update", "attempt-failed"): {
        "heading": "Consegna non riuscita",
        "text": "<p>{{ shipment.carrier }} ha provato a consegnare l'ordine {{ order.number }}, ma senza successo. "
        "Nella tua pagina di tracciamento trovi i prossimi passi e come fissare una nuova consegna.</p>",
    },
    ("shipment_update", "available-for-pickup"): {
        "heading": "Il tuo pacco ti aspetta",
        "text": "<p>L'ordine {{ order.number }} è pronto per il ritiro. "
        "Indirizzo e orari di apertura li trovi nella tua pagina di tracciamento.</p>",
    },
    ("shipment_update", "exception"): {
        "heading": "Il tuo pacco ha subito un intoppo",
        "text": "<p>{{ shipment.carrier }} ci ha segnalato un problema con l'ordine {{ order.number }}. "
        "Ce ne stiamo occupando e ti aggiorneremo al più presto. Scusaci per l'attesa.</p>",
    },
    ("delivered_followup", "how-is-it"): {
        "heading": "Ti piace il tuo ordine?",
        "text": "<p>Sono passati alcuni giorni dall'arrivo del tuo pacco. Se hai domande sui prodotti, "
        "basta rispondere a questa email: il nostro team è qui per te.</p>",
    },
    ("nps_survey", "survey"): {
        "heading": "Com'è andata?",
        "text": "<p>La tua opinione ci aiuta a migliorare. Scegli un numero qui sotto, poi premi Invia.</p>",
    },
    ("nps_survey", "reminder"): {
        "heading": "Hai ancora un attimo per una domanda veloce?",
        "text": "<p>Ci teniamo davvero a sapere cosa pensi dell'ordine {{ order.number }}. "
        "Scegli un numero qui sotto, poi premi Invia.</p>",
    },
    ("abandoned_cart", "reminder-1h"): {
        "heading": "Ci stai ancora pensando?",
        "text": "<p>Abbiamo salvato il tuo carrello, così puoi riprendere esattamente da dove avevi lasciato.</p>",
    },
    ("abandoned_cart", "help-24h"): {
        "heading": "Possiamo aiutarti?",
        "text": "<p>Se qualcosa ti ha frenato, siamo qui: i resi sono semplici, la spedizione è tracciata "
        "dall'inizio alla fine e il nostro team risponde a ogni messaggio.</p>",
    },
    ("abandoned_cart", "coupon-72h"): {
        "heading": "Un piccolo regalo, solo per te",
        "text": "<p>Usa il codice sconto qui sotto per completare il tuo ordine. È riservato a te e scade presto.</p>",
    },
    ("replenishment", "running-low"): {
        "heading": "È ora di fare scorta?",
        "text": "<p>Secondo i nostri calcoli, la tua scorta di {{ product.name }} sta per finire. "
        "Riordina ora e arriverà prima che tu rimanga senza.</p>",
        "button": "Riordina",
    },
    ("win_back", "offer"): {
        "heading": "È passato un po' di tempo",
        "text": "<p>Ci farebbe davvero piacere rivederti: per darti il bentornato, "
        "ecco un regalo per il tuo prossimo ordine.</p>",
    },
    ("win_back", "offer-vip"): {
        "heading": "Grazie per la tua fiducia",
        "text": "<p>Hai fatto tanti ordini con noi e ultimamente ci manchi. Per ringraziarti, "
        "ecco un regalo che riserviamo alla nostra clientela più fedele.</p>",
    },
    ("win_back", "offer-one-time"): {
        "heading": "Grazie per averci scelto",
        "text": "<p>Speriamo che il tuo primo ordine ti abbia fatto sorridere. Se vuoi scoprire qualcos'altro, "
        "ecco un regalo per rendere il secondo ordine ancora più piacevole.</p>",
    },
    ("win_back", "values"): {
        "heading": "Sono cambiate tante cose dalla tua ultima visita",
        "text": "<p>Nuovi prodotti, la stessa cura in ogni ordine e un team che legge ogni messaggio. "
        "Dai un'occhiata alle novità.</p>",
        "button": "Visita il negozio",
    },
    ("win_back", "farewell"): {
        "heading": "È un addio?",
        "text": "<p>È da un po' che non ti sentiamo, quindi smetteremo di inviarti offerte. "
        "Se vuoi continuare a sentirci, ti basta aggiornare le tue preferenze email.</p>",
        "button": "Visita il negozio",
    },
    ("delivery_apology", "apology"): {
        "heading": "Ci scusiamo per il ritardo",
        "text": "<p>Il tuo pacco non sta viaggiando con la rapidità prevista. Siamo in contatto con "
        "{{ shipment.carrier }} e ti avviseremo non appena la consegna riprenderà regolarmente.</p>",
    },
}
