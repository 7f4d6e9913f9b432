"""Patient notification: appointments, SMS jobs and their sender, marks, call lists."""
