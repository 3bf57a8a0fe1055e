"""Reader-facing texts the seed loader wrote in the team's words ("not stated in the seeds", "seed editors") now
say what is true from the reader's side ("not stated in the tracker's source documents", "the tracker's editors").

The loader keeps existing rows as they are, so a database loaded before the seed files were reworded would go on
showing the old wording: this rewrites a text only where it is still exactly the old seed text (an editor's own
correction is left alone). The status history is append-only and keeps its two notes as they were written.
"""

from django.db import migrations

# (natural key, field, old text, new text), from the seed files before and after the rewording.
SOURCES = [
    (
        "GEU-NEA-2023",
        "publisher",
        "Analysis in the series 'A Geopolitical EU in Northeast Asia' (publisher and author not named in the seed text)",
        "Analysis in the series 'A Geopolitical EU in Northeast Asia' (publisher and author not named in the tracker's "
        "copy)",
    ),
    (
        "PRESS-2023",
        "title",
        "Press article on the Japan–EU summit of July 2023 (headline not included in the seed text)",
        "Press article on the Japan–EU summit of July 2023 (headline not included in the tracker's copy)",
    ),
    (
        "PRESS-2023",
        "publisher",
        "Newspaper article, apparently The Japan Times (the text says the EU ambassador spoke to 'The Japan Times'); no "
        "byline or date in the seed text",
        "Newspaper article, apparently The Japan Times (the text says the EU ambassador spoke to 'The Japan Times'); no "
        "byline or date in the tracker's copy",
    ),
]
AGREEMENTS = [
    (
        "SPA",
        "summary",
        "Legally binding overarching political framework concluded in 2018 after years of negotiation, covering "
        "cooperation on security, health, technology, environment, culture and more than 40 areas in total. It has been "
        "applied provisionally since 2019 pending ratification by all Member States (exact day of provisional "
        "application not stated in the seeds); the Council endorsed its conclusion in April 2024 and full entry into "
        "force was expected in July 2024.",
        "Legally binding overarching political framework concluded in 2018 after years of negotiation, covering "
        "cooperation on security, health, technology, environment, culture and more than 40 areas in total. It has been "
        "applied provisionally since 2019 pending ratification by all Member States (exact day of provisional "
        "application not stated in the tracker's source documents); the Council endorsed its conclusion in April 2024 "
        "and full entry into force was expected in July 2024.",
    ),
    (
        "EPA",
        "summary",
        "Free-trade agreement concluded in 2018 and in force since 2019 (no day stated in the seeds), removing 99% of EU "
        "tariffs on Japanese exports and 97% of Japanese tariffs on EU exports. It frames regular economic meetings and "
        "high-level dialogues, including a Regulatory Dialogue, and bilateral trade reached a record EUR 141 billion in "
        "2022.",
        "Free-trade agreement concluded in 2018 and in force since 2019 (no day stated in the tracker's source "
        "documents), removing 99% of EU tariffs on Japanese exports and 97% of Japanese tariffs on EU exports. It frames "
        "regular economic meetings and high-level dialogues, including a Regulatory Dialogue, and bilateral trade "
        "reached a record EUR 141 billion in 2022.",
    ),
    (
        "DP",
        "summary",
        "Digital partnership launched at the 2022 bilateral summit (the seed also calls it the Digital Partnership "
        "Agreement, DPA). It covers digital connectivity, cybersecurity, AI, 5G, quantum computing, IoT, digital "
        "infrastructure and semiconductor supply chains, and the Japan–EU Digital Partnership Council held its first "
        "(ministerial) meeting in July 2023.",
        "Digital partnership launched at the 2022 bilateral summit (the EP analysis also calls it the Digital "
        "Partnership Agreement, DPA). It covers digital connectivity, cybersecurity, AI, 5G, quantum computing, IoT, "
        "digital infrastructure and semiconductor supply chains, and the Japan–EU Digital Partnership Council held its "
        "first (ministerial) meeting in July 2023.",
    ),
    (
        "ATALANTA-AA",
        "summary",
        "Arrangement signed on 15 March 2023 between the EU's anti-piracy operation Atalanta and Japan's naval forces "
        "after years of joint exercises in the Gulf of Aden and Western Indian Ocean. It sets a common framework for "
        "communication and coordination for future joint naval operations; the seeds variously name the Japanese party "
        "as the JMSDF, the Deployment of Surface Forces for Anti-Piracy Enforcement, or the JSDF (Joint Staff).",
        "Arrangement signed on 15 March 2023 between the EU's anti-piracy operation Atalanta and Japan's naval forces "
        "after years of joint exercises in the Gulf of Aden and Western Indian Ocean. It sets a common framework for "
        "communication and coordination for future joint naval operations; the source documents variously name the "
        "Japanese party as the JMSDF, the Deployment of Surface Forces for Anti-Piracy Enforcement, or the JSDF (Joint "
        "Staff).",
    ),
    (
        "DATA-ADQ",
        "summary",
        "In 2018 the EU and Japan agreed to recognise each other's data protection systems as adequate, described as "
        "creating the world's largest area of free and safe data flows. The seeds do not state when the reciprocal "
        "adequacy findings took effect.",
        "In 2018 the EU and Japan agreed to recognise each other's data protection systems as adequate, described as "
        "creating the world's largest area of free and safe data flows. The tracker's source documents do not state when "
        "the reciprocal adequacy findings took effect.",
    ),
    (
        "DATA-FLOWS",
        "summary",
        "Agreement on cross-border data flows concluded in 2023 (no exact date in the seeds) through the work of the "
        "High-Level Economic Dialogue. It complements the economic and digital partnerships on digital trade.",
        "Agreement on cross-border data flows concluded in 2023 (no exact date in the tracker's source documents) "
        "through the work of the High-Level Economic Dialogue. It complements the economic and digital partnerships on "
        "digital trade.",
    ),
    (
        "STA-2011",
        "summary",
        "Science and technology cooperation agreement that entered into force in 2011 (the seeds give the year, and fn "
        "48 cites its Official Journal publication of 6 April 2011, but no signature or entry-into-force day). It is the "
        "basis for long-standing research cooperation, later supplemented by a 2015 joint vision and a Letter of Intent.",
        "Science and technology cooperation agreement that entered into force in 2011 (the EP analysis gives the year, "
        "and its fn 48 cites its Official Journal publication of 6 April 2011, but no signature or entry-into-force "
        "day). It is the basis for long-standing research cooperation, later supplemented by a 2015 joint vision and a "
        "Letter of Intent.",
    ),
    (
        "SOIA",
        "summary",
        "Possible agreement on the security of (classified) information whose feasibility the EU and Japan committed to "
        "explore in the SDP. No negotiation is reported in the seeds.",
        "Possible agreement on the security of (classified) information whose feasibility the EU and Japan committed to "
        "explore in the SDP. No negotiation is reported in the tracker's source documents.",
    ),
]
# (body short name, day held, field, old text, new text)
MEETINGS = [
    (
        "SUMMIT",
        "2022-05-12",
        "summary",
        "Bilateral summit of 2022 at which the EU–Japan Digital Partnership was launched (place not stated in the "
        "seeds).",
        "Bilateral summit of 2022 at which the EU–Japan Digital Partnership was launched (place not stated in the "
        "tracker's source documents).",
    ),
    (
        "HLED",
        "2022-10-01",
        "summary",
        "High-Level Economic Dialogue meeting reported in a Commission release of this date as strengthening EU–Japan "
        "economic cooperation; the seed cites it only as a source (no outcome detail).",
        "High-Level Economic Dialogue meeting reported in a Commission release of this date as strengthening EU–Japan "
        "economic cooperation; the EP analysis cites that release only as a reference (no outcome detail).",
    ),
]
OLD_ASSUMER, NEW_ASSUMER = "seed editors", "the tracker's editors"


def reword(apps, schema_editor, *, backwards=False):
    def swap(old, new):
        return (new, old) if backwards else (old, new)

    for model_name, key_field, rows in (
        ("core.SourceDocument", "key", SOURCES),
        ("commitments.Agreement", "code", AGREEMENTS),
    ):
        model = apps.get_model(model_name)
        for key, field, old, new in rows:
            was, becomes = swap(old, new)
            model.objects.filter(**{key_field: key, field: was}).update(**{field: becomes})
    meeting = apps.get_model("dialogues.Meeting")
    for body, held_on, field, old, new in MEETINGS:
        was, becomes = swap(old, new)
        meeting.objects.filter(body__short_name=body, held_on=held_on, **{field: was}).update(**{field: becomes})
    was, becomes = swap(OLD_ASSUMER, NEW_ASSUMER)
    for model_name in ("commitments.Agreement", "dialogues.DialogueBody"):
        model = apps.get_model(model_name)
        for field in model._meta.get_fields():
            if field.name.endswith("_assumed_by"):
                model.objects.filter(**{field.name: was}).update(**{field.name: becomes})


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_auth_generation"),
        ("commitments", "0018_party_entry_evidence_backs_the_partys_status"),
        ("dialogues", "0009_sweep_marks_and_next_notice"),
    ]

    operations = [
        migrations.RunPython(reword, lambda apps, schema_editor: reword(apps, schema_editor, backwards=True)),
    ]
