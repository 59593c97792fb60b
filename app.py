print("chat: coming in issue 5")
