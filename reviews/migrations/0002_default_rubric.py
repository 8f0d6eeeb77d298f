from django.db import migrations

# (lever, theme or "" for every strategy, question)
QUESTIONS = [
    ("people", "", "Do we have enough people, with the right skills, to deliver this objective?"),
    (
        "people",
        "service",
        "Can the people who meet customers answer their questions and keep our promises without escalating?",
    ),
    (
        "people",
        "quality",
        "Are people trained and certified on the standards this objective needs?",
    ),
    ("people", "price", "Is our staffing lean enough to hold the prices we promise?"),
    ("incentives", "", "Do our targets and bonuses reward behaviour that serves this objective?"),
    (
        "incentives",
        "service",
        "Are people rewarded for on-time delivery and customer satisfaction, not only volume?",
    ),
    ("incentives", "quality", "Are people rewarded for getting it right first time?"),
    ("incentives", "price", "Are people rewarded for keeping costs down?"),
    ("inventory", "", "Do we hold the materials and stock this objective needs?"),
    (
        "inventory",
        "service",
        "Is our fill rate high enough to meet the delivery dates we promise customers?",
    ),
    ("inventory", "quality", "Do our materials and suppliers meet the quality we promise?"),
    ("inventory", "price", "Are inventory costs and turns in line with the prices we promise?"),
    ("processes", "", "Do our processes and policies make this objective easy to deliver?"),
    (
        "processes",
        "service",
        "Do our order and delivery processes keep the promised delivery dates?",
    ),
    ("processes", "quality", "Do our processes catch defects before customers see them?"),
    ("processes", "price", "Are our processes free of costly steps customers do not value?"),
    ("funding", "", "Is this objective funded as its priority says it should be?"),
    (
        "communication",
        "",
        "Does everyone in the team know this objective and what it asks of them?",
    ),
    ("communication", "", "Do we tell customers only what we can deliver?"),
]


def seed(apps, schema_editor):
    RubricQuestion = apps.get_model("reviews", "RubricQuestion")
    if RubricQuestion.objects.exists():
        return
    RubricQuestion.objects.bulk_create(
        RubricQuestion(lever=lever, theme=theme, text=text, order=i)
        for i, (lever, theme, text) in enumerate(QUESTIONS)
    )


class Migration(migrations.Migration):
    dependencies = [("reviews", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
